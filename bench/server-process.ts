/**
 * An HTTP server process under test: `irsa-probe serve` (node dist/src/main.js
 * serve) or the bare Node.js server, on 127.0.0.1 and an ephemeral port read
 * from its JSON "started" log line.
 */
import { join } from 'node:path';
import { Child, REPO_ROOT, type Children } from './child.js';
import { httpGet, sleep } from './http.js';
import { sampleValue } from './prom.js';

export const PROBE_MAIN = join(REPO_ROOT, 'dist/src/main.js');
export const BARE_SERVER = join(REPO_ROOT, 'dist/bench/bare-server.js');

export class ServerProcess {
  constructor(
    readonly child: Child,
    readonly port: number,
    /** Spawn to the "started" line (listening), ms. */
    readonly listeningMs: number,
  ) {}

  get pid(): number {
    return this.child.pid;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async metricsText(): Promise<string> {
    const res = await httpGet(this.url('/metrics'));
    if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
    return res.body;
  }

  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    const value = sampleValue(await this.metricsText(), name, labels);
    if (value === undefined) throw new Error(`/metrics has no ${name}${JSON.stringify(labels)}`);
    return value;
  }

  /** Polls /readyz every pollMs until 200; resolves with ms since the process was spawned. */
  async waitReady(timeoutMs: number, pollMs = 5): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const res = await httpGet(this.url('/readyz'), 2000);
        if (res.status === 200) return Number(process.hrtime.bigint() - this.child.startedAt) / 1e6;
        last = `${res.status} ${res.body.trim().slice(0, 200)}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (!this.child.running) break;
      await sleep(pollMs);
    }
    throw new Error(`${this.child.name} not ready within ${timeoutMs} ms (last /readyz: ${last}); output:\n${this.child.tail()}`);
  }
}

/** The port from a JSON log line `{"msg":"started",…,"port":N}`, or undefined for other lines. */
export function startedPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return entry.msg === 'started' && typeof entry.port === 'number' ? entry.port : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns `node <script> args…` and resolves once it has announced its port. */
export async function startServer(children: Children, name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = children.track(new Child(name, process.execPath, [script, ...args], env));
  try {
    const line = await child.waitForLine((l) => startedPort(l) !== undefined, 30_000);
    return new ServerProcess(child, startedPort(line)!, Number(process.hrtime.bigint() - child.startedAt) / 1e6);
  } catch (error) {
    await children.stop(child);
    throw error;
  }
}

/** `irsa-probe serve` on 127.0.0.1, an ephemeral port, and the given extra flags. */
export function startProbe(children: Children, env: NodeJS.ProcessEnv, flags: readonly string[] = []): Promise<ServerProcess> {
  return startServer(children, 'irsa-probe serve', PROBE_MAIN, ['serve', '--host', '127.0.0.1', '--port', '0', ...flags], env);
}

/** The bare server; with `defaultMetricsPrecisionMs`, plus prom-client's default metrics at that precision. */
export function startBareServer(children: Children, env: NodeJS.ProcessEnv, defaultMetricsPrecisionMs?: number): Promise<ServerProcess> {
  const args = defaultMetricsPrecisionMs === undefined ? [] : ['--default-metrics', String(defaultMetricsPrecisionMs)];
  return startServer(children, 'bare node server', BARE_SERVER, args, env);
}
