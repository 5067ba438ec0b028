/**
 * `irsa-probe serve` at the minimum interval (100 ms) for N cycles: CPU per
 * cycle from /proc/<pid>/stat (utime+stime) between two reads of
 * irsa_probe_cycles_total, resident memory from /proc/<pid>/status along the
 * way. Progress is followed through the sandbox's GetCallerIdentity counter
 * (one per steady-state cycle), so the probe is scraped only twice.
 */
import type { BenchContext } from './context.js';
import { sleep } from './http.js';
import { cpuSeconds, memory } from './proc.js';
import { sampleValue } from './prom.js';
import { startProbe } from './server-process.js';
import { median, summarize, type Summary } from './stats.js';

export interface SteadyResult {
  readonly nodeOptions: string;
  readonly cycles: number;
  /** Cycles in the CPU window (after warm-up). */
  readonly windowCycles: number;
  readonly cyclesPerSecond: number;
  readonly cpuSecondsPerCycle: number;
  /** CPU per cycle from cycle 20 to EARLY_CYCLES (compares with shorter runs); undefined when the run is shorter. */
  readonly earlyCpuSecondsPerCycle: number | undefined;
  /** Sandbox STS calls per cycle in the window, by operation. */
  readonly getCallerIdentityPerCycle: number;
  readonly assumesInWindow: number;
  readonly memoryFromCycle: number;
  /** Median RSS around memoryFromCycle and over the last cycles. */
  readonly rssFromBytes: number;
  readonly rssEndBytes: number;
  readonly rssEnd: Summary;
  /** Every RSS sample from memoryFromCycle on. */
  readonly rssAfterFrom: Summary;
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number | undefined;
  readonly heapTotalBytes: number | undefined;
  readonly externalBytes: number | undefined;
  readonly seconds: number;
}

interface Tick {
  readonly cycle: number;
  readonly rssBytes: number;
  readonly cpu: number;
}

export const EARLY_CYCLES = 1000;

const WARMUP_CYCLES = 20;
const TICK_MS = 500;
/** Half-width, in cycles, of the windows the RSS medians are taken over. */
const RSS_WINDOW = 25;

export async function steadyState(ctx: BenchContext, options: { cycles: number; memoryFromCycle: number; nodeOptions?: string }): Promise<SteadyResult> {
  const env = options.nodeOptions === undefined ? ctx.probeEnv : { ...ctx.probeEnv, NODE_OPTIONS: options.nodeOptions };
  const probe = await startProbe(ctx.children, env, ['--interval', '100ms']);
  try {
    await probe.waitReady(30_000);
    const gciNow = async (): Promise<number> => (await ctx.sandbox.stsCounts()).getCallerIdentity;
    while ((await probe.metric('irsa_probe_cycles_total')) < WARMUP_CYCLES) await sleep(200);
    const start = { sts: await ctx.sandbox.stsCounts(), cycles: await probe.metric('irsa_probe_cycles_total'), cpu: cpuSeconds(probe.pid), at: Date.now() };
    const ticks: Tick[] = [];
    let estimate = start.cycles;
    let nextLog = Date.now() + 30_000;
    while (estimate < options.cycles) {
      await sleep(TICK_MS);
      estimate = start.cycles + (await gciNow()) - start.sts.getCallerIdentity;
      ticks.push({ cycle: estimate, rssBytes: memory(probe.pid).rssBytes, cpu: cpuSeconds(probe.pid) });
      if (!probe.child.running) throw new Error(`irsa-probe serve exited during the run:\n${probe.child.tail()}`);
      if (Date.now() >= nextLog) {
        ctx.log(`serve${options.nodeOptions === undefined ? '' : ` (NODE_OPTIONS="${options.nodeOptions}")`}: cycle ~${estimate}/${options.cycles}, RSS ${(ticks.at(-1)!.rssBytes / 2 ** 20).toFixed(1)} MiB`);
        nextLog = Date.now() + 30_000;
      }
    }
    const endCpu = cpuSeconds(probe.pid);
    const endAt = Date.now();
    const text = await probe.metricsText();
    const endSts = await ctx.sandbox.stsCounts();
    const endCycles = sampleValue(text, 'irsa_probe_cycles_total') ?? NaN;
    const windowCycles = endCycles - start.cycles;
    const around = (lo: number, hi: number): number[] => ticks.filter((t) => t.cycle >= lo && t.cycle <= hi).map((t) => t.rssBytes);
    const fromSamples = around(options.memoryFromCycle - RSS_WINDOW, options.memoryFromCycle + RSS_WINDOW);
    const endSamples = around(endCycles - 2 * RSS_WINDOW, Infinity);
    const early = ticks.find((t) => t.cycle >= EARLY_CYCLES);
    if (fromSamples.length === 0 || endSamples.length === 0) throw new Error(`too few RSS samples around cycles ${options.memoryFromCycle} and ${endCycles}`);
    return {
      nodeOptions: env.NODE_OPTIONS ?? '',
      cycles: endCycles,
      windowCycles,
      cyclesPerSecond: windowCycles / ((endAt - start.at) / 1000),
      cpuSecondsPerCycle: (endCpu - start.cpu) / windowCycles,
      earlyCpuSecondsPerCycle: early === undefined ? undefined : (early.cpu - start.cpu) / (early.cycle - start.cycles),
      getCallerIdentityPerCycle: (endSts.getCallerIdentity - start.sts.getCallerIdentity) / windowCycles,
      assumesInWindow: endSts.assumeRoleWithWebIdentity - start.sts.assumeRoleWithWebIdentity,
      memoryFromCycle: options.memoryFromCycle,
      rssFromBytes: median(fromSamples),
      rssEndBytes: median(endSamples),
      rssEnd: summarize(endSamples),
      rssAfterFrom: summarize(ticks.filter((t) => t.cycle >= options.memoryFromCycle).map((t) => t.rssBytes)),
      peakRssBytes: memory(probe.pid).hwmBytes,
      heapUsedBytes: sampleValue(text, 'nodejs_heap_size_used_bytes'),
      heapTotalBytes: sampleValue(text, 'nodejs_heap_size_total_bytes'),
      externalBytes: sampleValue(text, 'nodejs_external_memory_bytes'),
      seconds: (endAt - start.at) / 1000,
    };
  } finally {
    await ctx.children.stop(probe.child);
  }
}
