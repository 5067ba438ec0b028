/** What the numbers were measured on: machine, OS, runtime and tool versions, load, source revision. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './child.js';

const run = promisify(execFile);

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly probeVersion: string;
  readonly revision: string;
}

async function osName(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function revision(): Promise<string> {
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
    const dirty = (await run('git', ['status', '--porcelain', '--', 'src', 'sandbox', 'package.json'], { cwd: REPO_ROOT })).stdout.trim();
    return dirty === '' ? head : `${head} + uncommitted changes in src/, sandbox/ or package.json`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export async function machine(): Promise<Machine> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: await osName(),
    node: process.version,
    probeVersion: pkg.version ?? 'unknown',
    revision: await revision(),
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
