/**
 * What loading each heavy dependency costs a fresh process: CPU and peak RSS of
 * `node --input-type=module -e "await import(…)"` above the same command
 * importing nothing. Explains the one-shot and start-up figures (most of a
 * `check` is module loading) and prices the proposed lazy imports.
 */
import type { BenchContext } from './context.js';
import { summarize, type Summary } from './stats.js';
import { REPO_ROOT } from './child.js';
import { timedRun } from './timed.js';

export interface ModuleRow {
  readonly id: string;
  readonly label: string;
  readonly specifiers: readonly string[];
}

export const MODULE_ROWS: readonly ModuleRow[] = [
  { id: 'base', label: 'nothing (the baseline)', specifiers: [] },
  { id: 'express', label: '`express`', specifiers: ['express'] },
  { id: 'prom-client', label: '`prom-client`', specifiers: ['prom-client'] },
  { id: 'jose', label: '`jose` (the whole library, as src/token-file.ts imports it)', specifiers: ['jose'] },
  { id: 'jose-decode', label: '`jose/jwt/decode` + `jose/decode/protected_header` + `jose/errors` (what the token check uses)', specifiers: ['jose/jwt/decode', 'jose/decode/protected_header', 'jose/errors'] },
  { id: 'client-sts', label: '`@aws-sdk/client-sts`', specifiers: ['@aws-sdk/client-sts'] },
  { id: 'chain', label: '`@aws-sdk/credential-provider-node` (the chain check)', specifiers: ['@aws-sdk/credential-provider-node'] },
  { id: 'client-s3', label: '`@aws-sdk/client-s3` (loaded only with a bucket)', specifiers: ['@aws-sdk/client-s3'] },
  { id: 'main', label: '`dist/src/main.js` (everything `check` and `serve` load before they run)', specifiers: ['./dist/src/main.js'] },
];

export interface ModuleCost {
  readonly id: string;
  readonly label: string;
  readonly cpuSeconds: Summary;
  readonly maxRssBytes: Summary;
  /** Medians above the baseline row. */
  readonly extraCpuSeconds: number;
  readonly extraRssBytes: number;
}

export function importScript(specifiers: readonly string[]): string {
  return specifiers.length === 0 ? 'await 0' : specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
}

export async function moduleCosts(ctx: BenchContext, rounds: number): Promise<ModuleCost[]> {
  const cpu: number[][] = MODULE_ROWS.map(() => []);
  const rss: number[][] = MODULE_ROWS.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [k, row] of MODULE_ROWS.entries()) {
      const run = await timedRun(process.execPath, ['--input-type=module', '-e', importScript(row.specifiers)], { env: ctx.probeEnv, cwd: REPO_ROOT, timeoutMs: 60_000 });
      if (run.exitCode !== 0) throw new Error(`importing ${row.specifiers.join(', ')} failed (${run.exitCode}): ${run.stderr.slice(-800)}`);
      cpu[k]!.push(run.cpuSeconds);
      rss[k]!.push(run.maxRssBytes);
    }
  }
  const base = { cpu: summarize(cpu[0]!).median, rss: summarize(rss[0]!).median };
  return MODULE_ROWS.map((row, k) => {
    const c = summarize(cpu[k]!);
    const m = summarize(rss[k]!);
    return { id: row.id, label: row.label, cpuSeconds: c, maxRssBytes: m, extraCpuSeconds: c.median - base.cpu, extraRssBytes: m.median - base.rss };
  });
}
