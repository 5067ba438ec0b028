/**
 * `irsa-probe serve` at its defaults (interval 60 s): first its idle CPU, then
 * fixed-rate load from this process with autocannon on /livez (the baseline:
 * no probe state), /readyz and /metrics, counting the sandbox's STS calls
 * around the load: probe traffic must cause none beyond the scheduled cycles.
 */
import type { BenchContext } from './context.js';
import { sleep } from './http.js';
import { runLoad, type LoadResult } from './load.js';
import { cpuSeconds } from './proc.js';
import { startProbe, type ServerProcess } from './server-process.js';

export const READYZ_RATE = 2000;
export const METRICS_RATE = 50;

export interface LoadExperiment {
  readonly livez: LoadResult;
  readonly readyz: LoadResult;
  readonly metrics: LoadResult;
  /** CPU seconds per second while idle between cycles at the default interval. */
  readonly idleCpuPerSecond: number;
  readonly idleSeconds: number;
  /** Over the whole load phase. */
  readonly stsCalls: number;
  readonly scheduledCycles: number;
  /** STS calls beyond one per scheduled cycle. */
  readonly extraStsCalls: number;
  readonly loadCpuSeconds: number;
}

async function measured(ctx: BenchContext, probe: ServerProcess, path: string, rate: number): Promise<LoadResult> {
  const connections = Math.min(10, rate);
  await runLoad({ url: probe.url(path), ratePerSecond: rate, seconds: Math.max(1, Math.round(ctx.params.loadSeconds / 5)), connections });
  const result = await runLoad({ url: probe.url(path), ratePerSecond: rate, seconds: ctx.params.loadSeconds, connections });
  ctx.log(`${path} at ${rate}/s: p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms, ${result.achievedRate.toFixed(0)}/s achieved, non-2xx ${result.non2xx}, errors ${result.errors}`);
  return result;
}

/** Idle CPU per second, with the CPU of any cycle that fell into the window taken out. */
async function idleCpu(ctx: BenchContext, probe: ServerProcess, cpuPerCycle: number): Promise<number> {
  const c0 = await probe.metric('irsa_probe_cycles_total');
  const t0 = cpuSeconds(probe.pid);
  const started = Date.now();
  await sleep(ctx.params.idleSeconds * 1000);
  const t1 = cpuSeconds(probe.pid);
  const seconds = (Date.now() - started) / 1000;
  const cycles = (await probe.metric('irsa_probe_cycles_total')) - c0;
  return Math.max(0, t1 - t0 - cycles * cpuPerCycle) / seconds;
}

export async function loadExperiment(ctx: BenchContext, cpuPerCycle: number): Promise<LoadExperiment> {
  const probe = await startProbe(ctx.children, ctx.probeEnv);
  try {
    await probe.waitReady(30_000);
    await sleep(1000);
    const idleCpuPerSecond = await idleCpu(ctx, probe, cpuPerCycle);
    const sts0 = (await ctx.sandbox.stsCounts()).total;
    const cycles0 = await probe.metric('irsa_probe_cycles_total');
    const cpu0 = cpuSeconds(probe.pid);
    const livez = await measured(ctx, probe, '/livez', READYZ_RATE);
    const readyz = await measured(ctx, probe, '/readyz', READYZ_RATE);
    const metrics = await measured(ctx, probe, '/metrics', METRICS_RATE);
    const loadCpuSeconds = cpuSeconds(probe.pid) - cpu0;
    const sts1 = (await ctx.sandbox.stsCounts()).total;
    const scheduledCycles = (await probe.metric('irsa_probe_cycles_total')) - cycles0;
    return { livez, readyz, metrics, idleCpuPerSecond, idleSeconds: ctx.params.idleSeconds, stsCalls: sts1 - sts0, scheduledCycles, extraStsCalls: sts1 - sts0 - scheduledCycles, loadCpuSeconds };
  } finally {
    await ctx.children.stop(probe.child);
  }
}
