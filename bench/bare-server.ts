/**
 * The runtime's floor: a bare Node.js HTTP server answering `ok`, started the
 * way `irsa-probe serve` is (node <script>), logging where it listens in the
 * same JSON shape, so the test helpers start it like the probe.
 */
import { createServer } from 'node:http';

const server = createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'started', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
