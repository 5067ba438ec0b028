/**
 * The runtime's floor: a bare Node.js HTTP server answering `ok`, started the
 * way `irsa-probe serve` is (node <script>), announcing its port in the same
 * JSON line shape. `--default-metrics MS` adds prom-client's default metrics
 * (what the probe registers) with that event-loop monitoring precision, so
 * their own cost can be told apart.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'default-metrics': { type: 'string' } } });
const precision = values['default-metrics'];
if (precision !== undefined) {
  const { Registry, collectDefaultMetrics } = await import('prom-client');
  collectDefaultMetrics({ register: new Registry(), eventLoopMonitoringPrecision: Number(precision) });
}

const server = createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'started', port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
