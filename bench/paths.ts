/** Where the bench finds the repository and what it runs. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The unbundled tsc output, measured next to the bundle that ships. */
export const TSC_MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');
export const BARE_SERVER = join(REPO_ROOT, 'dist', 'bench', 'bare-server.js');
