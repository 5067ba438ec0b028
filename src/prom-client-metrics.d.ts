/** prom-client's default collectors, one module each (prom-client/lib/metrics/*.js, CommonJS, untyped). */
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  const collect: (registry: Registry, config: object) => void;
  export default collect;
}
