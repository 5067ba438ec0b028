/**
 * The image's app layer, from the files the Dockerfile copies into it
 * (dist/bundle/ and package.json), next to what the unbundled layout copied
 * (dist/src/ and the production node_modules, as `npm ls --omit=dev` lists them).
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);

export interface AppLayer {
  readonly bundleBytes: number;
  readonly unbundledBytes: number;
}

async function bytes(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return path.endsWith('.map') ? 0 : info.size;
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile() && !e.name.endsWith('.map')).map(async (e) => (await stat(join(e.parentPath, e.name))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

/** Top-level production packages (each directory once: nested ones are inside their parent's). */
async function productionPackages(): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const dirs = stdout.split('\n').filter((d) => d.includes('/node_modules/'));
  return dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`)));
}

export async function appLayer(): Promise<AppLayer> {
  const pkg = await bytes(join(REPO_ROOT, 'package.json'));
  const bundleBytes = pkg + (await bytes(join(REPO_ROOT, 'dist', 'bundle')));
  const modules = await Promise.all((await productionPackages()).map(bytes));
  const unbundledBytes = pkg + (await bytes(join(REPO_ROOT, 'dist', 'src'))) + modules.reduce((a, b) => a + b, 0);
  return { bundleBytes, unbundledBytes };
}
