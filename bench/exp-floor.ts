/**
 * The runtime's floor: resident memory of a bare Node.js HTTP server started
 * the same way (node <script>), after it has answered some requests.
 */
import type { BenchContext } from './context.js';
import { httpGet, sleep } from './http.js';
import { memory } from './proc.js';
import { startBareServer } from './server-process.js';
import { summarize, type Summary } from './stats.js';

export interface FloorResult {
  readonly nodeOptions: string;
  readonly rss: Summary;
}

const REQUESTS = 200;
const SAMPLES = 10;

export async function bareFloor(ctx: BenchContext, nodeOptions?: string): Promise<FloorResult> {
  const env = nodeOptions === undefined ? ctx.probeEnv : { ...ctx.probeEnv, NODE_OPTIONS: nodeOptions };
  const server = await startBareServer(ctx.children, env);
  try {
    for (let i = 0; i < REQUESTS; i++) {
      const res = await httpGet(server.url('/'));
      if (res.status !== 200) throw new Error(`bare server answered ${res.status}`);
    }
    await sleep(1000);
    const rss: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      rss.push(memory(server.pid).rssBytes);
      await sleep(200);
    }
    return { nodeOptions: env.NODE_OPTIONS ?? '', rss: summarize(rss) };
  } finally {
    await ctx.children.stop(server.child);
  }
}
