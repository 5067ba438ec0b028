/**
 * The runtime's floor: a bare Node.js HTTP server answering `ok`, started the
 * way `irsa-probe serve` is (node <script>), announcing its port in the same
 * JSON line shape. `--default-metrics MS` adds prom-client's default metrics
 * (what the probe registers) with that event-loop monitoring precision, served
 * on /metrics, so their own cost can be told apart.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'default-metrics': { type: 'string' } } });
const precision = values['default-metrics'];
let render: (() => Promise<string>) | undefined;
if (precision !== undefined) {
  const { Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: Number(precision) });
  render = () => registry.metrics();
}

/** `ok`, or with default metrics registered, their exposition on /metrics. */
const server = createServer((req, res) => {
  if (render === undefined || req.url !== '/metrics') return void res.end('ok');
  void render().then((text) => res.end(text));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'started', port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
