/**
 * One process run under GNU time (/usr/bin/time), which reports what the
 * kernel accounted to it when it was reaped: user and system CPU seconds and
 * the peak resident set size (maxrss). Node cannot read a child's rusage itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
/** %U user s, %S system s, %M max RSS KiB, %e wall s, %x exit status. */
const FORMAT = 'bench-time %U %S %M %e %x';

export interface TimedRun {
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  /** Spawn to exit, measured here (GNU time's %e has 10 ms resolution). */
  readonly wallMs: number;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parses the line FORMAT produces (GNU time may print a "Command exited…" line before it). */
export function parseTimeOutput(text: string): Pick<TimedRun, 'userSeconds' | 'systemSeconds' | 'cpuSeconds' | 'maxRssBytes' | 'exitCode'> {
  const line = text.split('\n').find((l) => l.startsWith('bench-time '));
  if (line === undefined) throw new Error(`GNU time wrote no measurement: ${JSON.stringify(text.slice(0, 200))}`);
  const [user, system, rssKiB, , exit] = line.slice('bench-time '.length).trim().split(/\s+/).map(Number);
  if ([user, system, rssKiB, exit].some((v) => v === undefined || !Number.isFinite(v))) throw new Error(`GNU time line not understood: ${JSON.stringify(line)}`);
  return { userSeconds: user!, systemSeconds: system!, cpuSeconds: user! + system!, maxRssBytes: rssKiB! * 1024, exitCode: exit! };
}

export interface TimedOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

const MAX_CAPTURE = 64 * 1024;

/** Runs `command args…` under GNU time and resolves with its accounting (any exit code). */
export async function timedRun(command: string, args: readonly string[], options: TimedOptions): Promise<TimedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  const out = join(dir, 'time.txt');
  try {
    const started = process.hrtime.bigint();
    const { stdout, stderr } = await runToExit(GNU_TIME, ['-o', out, '-f', FORMAT, command, ...args], options);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { ...parseTimeOutput(await readFile(out, 'utf8')), wallMs, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runToExit(command: string, args: readonly string[], options: TimedOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-MAX_CAPTURE)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_CAPTURE)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== null) reject(new Error(`${command} ${args.join(' ')} killed by ${signal}; stderr: ${stderr.slice(-500)}`));
      else resolve({ stdout, stderr });
    });
  });
}
