/**
 * Long-running child processes (sandbox, irsa-probe serve, the bare server):
 * spawn, wait for a line on stdout, keep the last lines for error messages,
 * and stop with SIGTERM (SIGKILL after a grace period), always reaped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const KEEP_LINES = 40;

export class Child {
  readonly process: ChildProcess;
  readonly startedAt: bigint;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(readonly name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    this.startedAt = process.hrtime.bigint();
    this.process = spawn(command, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.process.stdout!, this.process.stderr!]) this.readLines(stream);
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      this.process.on('error', (error) => {
        this.lines.push(`spawn error: ${error.message}`);
        this.exitCode = null;
        resolve(null);
      });
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} did not start: ${this.tail()}`);
    return this.process.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  private readLines(stream: NodeJS.ReadableStream): void {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.onLine(line);
    });
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.shift();
    for (const w of this.waiters) {
      if (w.match(line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /** The last lines it printed (stdout and stderr), for error messages. */
  tail(): string {
    return this.lines.slice(-12).join('\n');
  }

  /** Resolves with the first line (from now on) that matches; rejects on exit or timeout. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no expected line within ${timeoutMs} ms; last output:\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before it was ready; last output:\n${this.tail()}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code once reaped. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Every child started through track() is stopped by stopAll(), also on errors and signals. */
export class Children {
  private readonly all = new Set<Child>();

  track(child: Child): Child {
    this.all.add(child);
    return child;
  }

  async stop(child: Child): Promise<number | null> {
    const code = await child.stop();
    this.all.delete(child);
    return code;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.all].map((c) => this.stop(c)));
  }
}
