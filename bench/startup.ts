/**
 * Process start to the first `/readyz` 200 (defaults, healthy sandbox), polled
 * every 5 ms, after one unmeasured start (page cache, the sandbox's first requests).
 */
import { ServeProcess, type Runner } from '../test/helpers/process.js';
import { summarize, type Summary } from './stats.js';

export async function startToReady(runner: Runner, env: Record<string, string>, runs: number): Promise<Summary> {
  const ms: number[] = [];
  for (let i = -1; i < runs; i++) {
    const t0 = performance.now();
    const serve = await ServeProcess.start(env, [], runner);
    try {
      await serve.waitFor('/readyz', (r) => r.status === 200, 30_000, 5);
      if (i >= 0) ms.push(performance.now() - t0);
    } finally {
      await serve.stop();
    }
  }
  return summarize(ms);
}
