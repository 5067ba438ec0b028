#!/usr/bin/env node
/**
 * Bundles src/main.ts and every dependency it loads into dist/bundle/ (ES
 * modules, split at the dynamic imports so `check` still never loads express or
 * prom-client). This is what ships: package.json `bin` and `npm start`, the
 * end-to-end tests and the image all run dist/bundle/main.js, which needs no
 * node_modules. Measured against the unbundled tsc output in bench/RESULTS.md.
 *
 *   node scripts/bundle.mjs            (part of `npm run build`)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Chunk names carry content hashes: start empty so no stale chunk ships.
rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // The tests run on Node.js 20; the image ships 24.
  target: 'node20',
  // Prefer the ES module builds of dual packages (the AWS SDK ships both).
  mainFields: ['module', 'main'],
  // V8 keeps every loaded module's source text in memory: drop whitespace and
  // comments and shorten syntax (about 1 MiB less RSS, bench/RESULTS.md), but keep
  // names (error classes are told apart by name; --minify-identifiers would need
  // --keep-names, which costs more than it saves).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies (express, prom-client) call require() for Node.js built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
});
