/** What the numbers were measured on: machine, OS, load, source revision. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);

export async function machine(): Promise<string> {
  let osName = 'unknown OS';
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(await readFile('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // not Linux with os-release: keep the placeholder
  }
  return `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, ${osName}, ${os.type()} ${os.release()}`;
}

export async function revision(): Promise<string> {
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
    const dirty = (await run('git', ['status', '--porcelain', '--', 'src', 'package.json', 'Dockerfile'], { cwd: REPO_ROOT })).stdout.trim();
    return dirty === '' ? head : `${head} with uncommitted changes`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
