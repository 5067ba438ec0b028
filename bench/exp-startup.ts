/**
 * Process start to the first /readyz 200 of `irsa-probe serve` at its defaults
 * (first cycle at once; /readyz polled every 5 ms on fresh connections), next
 * to the bare runtime's start: `node -e ''` from spawn to exit.
 */
import { spawn } from 'node:child_process';
import type { BenchContext } from './context.js';
import { startProbe } from './server-process.js';
import { summarize, type Summary } from './stats.js';

export interface StartupResult {
  readonly readyMs: Summary;
  /** Spawn to the "started" log line: modules loaded, listening; the first cycle runs after. */
  readonly listeningMs: Summary;
  readonly nodeEmptyMs: Summary;
}

function nodeEmptyMs(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', ''], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`node -e '' exited ${code}`))));
  });
}

export async function startup(ctx: BenchContext): Promise<StartupResult> {
  const ready: number[] = [];
  const listening: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < ctx.params.startRuns; i++) {
    empty.push(await nodeEmptyMs(ctx.probeEnv));
    const probe = await startProbe(ctx.children, ctx.probeEnv);
    try {
      ready.push(await probe.waitReady(30_000));
      listening.push(probe.listeningMs);
    } finally {
      await ctx.children.stop(probe.child);
    }
  }
  ctx.log(`start to ready: ${ready.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  return { readyMs: summarize(ready), listeningMs: summarize(listening), nodeEmptyMs: summarize(empty) };
}
