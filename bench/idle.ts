/**
 * `serve` at the defaults (60 s interval) under what a pod sees: the kubelet's
 * readiness probe every 10 s and liveness probe every 30 s, a Prometheus scrape
 * every 30 s (k8s/components/irsa-probe/container.yaml, k8s/monitoring/podmonitor.yaml).
 * CPU per minute over the window, next to a bare server probed the same way;
 * then `/readyz` latency at 5 requests/s (a few kubelets and scrapers).
 */
import { ServeProcess, type Runner } from '../test/helpers/process.js';
import { BARE_SERVER } from './paths.js';
import { cpuSeconds } from './proc.js';
import { percentile } from './stats.js';

export const KUBELET_LOAD = [
  { path: '/readyz', everyMs: 10_000 },
  { path: '/livez', everyMs: 30_000 },
  { path: '/metrics', everyMs: 30_000 },
] as const;

export interface IdleRun {
  readonly windowSeconds: number;
  readonly cpuMsPerMinute: number;
  readonly floorCpuMsPerMinute: number;
  readonly readyzP50Ms: number;
  readonly readyzP99Ms: number;
  readonly readyzRequests: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends the kubelet's and Prometheus's requests; collects every answer that was not a 200 (a healthy pod must never give one). */
function drive(targets: readonly ServeProcess[], failures: string[]): () => void {
  const send = (t: ServeProcess, path: string): Promise<void> =>
    t.get(path).then(
      (r) => void (r.status === 200 || failures.push(`${path} ${r.status}`)),
      (e: unknown) => void failures.push(`${path} ${(e as Error).message}`),
    );
  const timers = KUBELET_LOAD.map(({ path, everyMs }) => setInterval(() => targets.forEach((t) => void send(t, path)), everyMs));
  return () => timers.forEach(clearInterval);
}

async function latency(serve: ServeProcess, perSecond: number, seconds: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < perSecond * seconds; i++) {
    const t0 = performance.now();
    await serve.get('/readyz');
    ms.push(performance.now() - t0);
    await sleep(Math.max(0, 1000 / perSecond - (performance.now() - t0)));
  }
  return ms;
}

export async function idleRun(runner: Runner & { readonly node: string }, env: Record<string, string>, windowSeconds: number): Promise<IdleRun> {
  const floor = await ServeProcess.start(env, [], { node: runner.node, main: BARE_SERVER });
  const serve = await ServeProcess.start(env, [], runner);
  try {
    await serve.waitFor('/readyz', (r) => r.status === 200, 30_000);
    const failures: string[] = [];
    const stop = drive([serve, floor], failures);
    const [s0, f0] = [cpuSeconds(serve.child.pid!), cpuSeconds(floor.child.pid!)];
    await sleep(windowSeconds * 1000);
    const [s1, f1] = [cpuSeconds(serve.child.pid!), cpuSeconds(floor.child.pid!)];
    const ms = await latency(serve, 5, 20);
    stop();
    if (failures.length > 0) throw new Error(`kubelet and Prometheus requests failed at the default interval: ${failures.slice(0, 5).join(', ')}`);
    const perMinute = (cpu: number): number => (cpu * 1000 * 60) / windowSeconds;
    return { windowSeconds, cpuMsPerMinute: perMinute(s1 - s0), floorCpuMsPerMinute: perMinute(f1 - f0), readyzP50Ms: percentile(ms, 50), readyzP99Ms: percentile(ms, 99), readyzRequests: ms.length };
  } finally {
    await Promise.all([serve.stop(), floor.stop()]);
  }
}
