/** Starting irsa-probe as a real process, as it ships (the bundle), for end-to-end tests and the bench. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { imageNodeOptions } from '../../sandbox/image.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What package.json `bin`, `npm start` and the image run (scripts/bundle.mjs, part of `npm run build`). */
export const MAIN = join(ROOT, 'dist', 'bundle', 'main.js');

function newestMtime(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs));
}

/** Re-bundles when the bundle is missing or older than src/ (a build with tsc alone leaves it behind). */
function ensureBundle(): void {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    // missing: built below
  }
  if (built < Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package-lock.json')).mtimeMs)) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
  }
}
ensureBundle();

/**
 * Only what the probe should see: PATH, HOME and the image's NODE_OPTIONS, plus
 * the given variables (no AWS settings leak in from the machine).
 */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: imageNodeOptions(), AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', ...extra };
}

/**
 * Node.js 20, the tests' runtime, prints this V8 notice at start when
 * NODE_OPTIONS holds --jitless; Node.js 24, which the image ships, does not.
 * It is the runtime's line, not the probe's: dropped from what tests judge.
 */
const NODE20_JITLESS_NOTICE = 'Warning: disabling flag --expose_wasm due to conflicting flags\n';

export function probeStderr(text: string): string {
  return text.split(NODE20_JITLESS_NOTICE).join('');
}

export interface RunResult {
  code: number | null;
  /** The signal that ended the child (SIGKILL at the deadline, or its own), or null when it exited. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the spawn to 'close'. */
  ms: number;
}

/**
 * Runs a Node.js program (this process's Node.js) to its end with exactly the
 * given env, collecting stdout and stderr; SIGKILLed at the deadline, so a hung
 * child fails its test instead of holding the runner. Output is read after
 * 'close', not 'exit': a child's pipes can still hold output when it exits,
 * and a busy test process reads them later.
 */
export async function runNode(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

/** The bundled probe run once (`check`, `--help`, …) in a clean env; stderr without the Node.js 20 notice. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<RunResult> {
  const r = await runNode([MAIN, ...args], cleanEnv(env), timeoutMs);
  return { ...r, stderr: probeStderr(r.stderr) };
}

/** Which Node.js binary runs which build (defaults: this process's Node.js, the bundle). */
export interface Runner {
  readonly node?: string;
  readonly main?: string;
}

export class ServeProcess {
  stdout = '';
  stderr = '';
  url = '';
  /** The process has exited and its stdout and stderr are read to the end. */
  private readonly closed: Promise<unknown>;
  private constructor(readonly child: ChildProcess) {
    this.closed = once(child, 'close');
  }

  /** Starts `serve` on an ephemeral port and resolves once it logs where it listens. */
  static async start(env: Record<string, string>, args: string[] = [], runner: Runner = {}): Promise<ServeProcess> {
    const child = spawn(runner.node ?? process.execPath, [runner.main ?? MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new ServeProcess(child);
    child.stderr!.on('data', (d: Buffer) => (p.stderr = probeStderr(p.stderr + d.toString())));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not print where it listens within 20 s: ${p.stdout} ${p.stderr}`)), 20_000);
        child.stdout!.on('data', (d: Buffer) => {
          p.stdout += d.toString();
          const m = /"url":"(http:\/\/[^"]+)"/.exec(p.stdout);
          if (m && !p.url) {
            p.url = m[1]!.replace('0.0.0.0', '127.0.0.1');
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`serve exited with ${code}: ${p.stdout} ${p.stderr}`));
        });
      });
    } catch (err) {
      // Never leave a half-started probe behind: it would keep the test runner alive.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    }
    return p;
  }

  async get(path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(this.url + path, init);
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  /** Polls until the predicate holds on GET path, or fails after the deadline. */
  async waitFor(path: string, predicate: (r: { status: number; body: string }) => boolean, deadlineMs = 20_000, everyMs = 100): Promise<{ status: number; body: string }> {
    const end = Date.now() + deadlineMs;
    let last = { status: 0, body: '' };
    while (Date.now() < end) {
      last = await this.get(path);
      if (predicate(last)) return last;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`timed out waiting on ${path}; last: ${last.status} ${last.body.slice(0, 500)}`);
  }

  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      await this.closed;
      return { code: this.child.exitCode, ms: 0 };
    }
    const started = Date.now();
    this.child.kill(signal);
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.closed;
    clearTimeout(kill);
    return { code: this.child.exitCode, ms: Date.now() - started };
  }
}

/**
 * A port for a program that cannot report the one it got (Prometheus): free
 * now, and outside the kernel's ephemeral range, so no `listen(0)` or outgoing
 * connection of the tests running alongside can take it before the program
 * binds it (a port found with `listen(0)` and closed again can be). Where the
 * program can listen on 0 and say where (irsa-probe's "started" line), ask it.
 */
export async function reservedRangePort(): Promise<number> {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const low = 10_000;
  const high = Math.min(ephemeralLow ?? 32_768, 32_768) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error(`no free port in ${low}-${high} after 50 tries`);
}
