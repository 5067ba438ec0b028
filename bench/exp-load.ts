/**
 * `irsa-probe serve` at its defaults (interval 60 s): first its idle CPU next
 * to bare Node.js servers (alone, and with prom-client's default metrics at
 * two event-loop monitoring precisions) idling in the same window; then
 * fixed-rate load from this process with autocannon on /livez (the baseline:
 * no probe state), /readyz and /metrics, counting the sandbox's STS calls
 * around the load: probe traffic must cause none beyond the scheduled cycles.
 */
import type { BenchContext } from './context.js';
import { sleep } from './http.js';
import { runLoad, type LoadResult } from './load.js';
import { cpuSeconds } from './proc.js';
import { startBareServer, startProbe, type ServerProcess } from './server-process.js';

export const READYZ_RATE = 2000;
export const METRICS_RATE = 50;
const SETTLE_MS = 5000;

/** One measured load run, with the server's CPU per request over it. */
export interface LoadRun extends LoadResult {
  readonly serverCpuMsPerRequest: number;
}

export interface IdleCpu {
  readonly what: string;
  readonly cpuMsPerSecond: number;
}

export interface LoadExperiment {
  /** Every run, per path and connection count. */
  readonly runs: readonly LoadRun[];
  readonly livez: LoadRun;
  readonly readyz: LoadRun;
  readonly metrics: LoadRun;
  /** CPU seconds per second of serve while idle between cycles at the default interval. */
  readonly idleCpuPerSecond: number;
  readonly idle: readonly IdleCpu[];
  readonly idleSeconds: number;
  /** Over the whole load phase. */
  readonly stsCalls: number;
  readonly scheduledCycles: number;
  /** STS calls beyond one per scheduled cycle. */
  readonly extraStsCalls: number;
  readonly loadCpuSeconds: number;
  /** /metrics of a bare server holding only prom-client's default metrics, same rate, first connection count. */
  readonly defaultMetricsOnly: LoadRun;
}

async function measured(ctx: BenchContext, probe: ServerProcess, path: string, rate: number, connections: number): Promise<LoadRun> {
  await runLoad({ url: probe.url(path), ratePerSecond: rate, seconds: Math.max(1, Math.round(ctx.params.loadSeconds / 5)), connections });
  const cpu0 = cpuSeconds(probe.pid);
  const result = await runLoad({ url: probe.url(path), ratePerSecond: rate, seconds: ctx.params.loadSeconds, connections });
  const serverCpuMsPerRequest = ((cpuSeconds(probe.pid) - cpu0) * 1000) / result.responses;
  ctx.log(`${path} at ${rate}/s over ${connections} connection(s): p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms, ${result.achievedRate.toFixed(0)}/s achieved, non-2xx ${result.non2xx}, errors ${result.errors}, ${serverCpuMsPerRequest.toFixed(3)} CPU-ms per request`);
  return { ...result, serverCpuMsPerRequest };
}

/**
 * CPU per second of each process over the same idle window; for serve, the
 * CPU of any scheduled cycle that fell into the window is taken out.
 */
async function idleCpu(ctx: BenchContext, probe: ServerProcess, cpuPerCycle: number): Promise<IdleCpu[]> {
  const bare = [await startBareServer(ctx.children, ctx.probeEnv), await startBareServer(ctx.children, ctx.probeEnv, 10), await startBareServer(ctx.children, ctx.probeEnv, 1000)];
  try {
    await sleep(SETTLE_MS);
    const all = [probe, ...bare];
    const c0 = await probe.metric('irsa_probe_cycles_total');
    const t0 = all.map((p) => cpuSeconds(p.pid));
    const started = Date.now();
    await sleep(ctx.params.idleSeconds * 1000);
    const t1 = all.map((p) => cpuSeconds(p.pid));
    const seconds = (Date.now() - started) / 1000;
    const cycles = (await probe.metric('irsa_probe_cycles_total')) - c0;
    const rate = (k: number, minus = 0): number => (Math.max(0, t1[k]! - t0[k]! - minus) / seconds) * 1000;
    return [
      { what: '`irsa-probe serve` (defaults), between cycles', cpuMsPerSecond: rate(0, cycles * cpuPerCycle) },
      { what: 'bare Node.js HTTP server', cpuMsPerSecond: rate(1) },
      { what: "bare server + prom-client's default metrics (event-loop precision 10 ms, the default)", cpuMsPerSecond: rate(2) },
      { what: 'bare server + default metrics, event-loop precision 1000 ms', cpuMsPerSecond: rate(3) },
    ];
  } finally {
    for (const b of bare) await ctx.children.stop(b.child);
  }
}

async function bareMetrics(ctx: BenchContext): Promise<LoadRun> {
  const bare = await startBareServer(ctx.children, ctx.probeEnv, 10);
  try {
    return await measured(ctx, bare, '/metrics', METRICS_RATE, ctx.params.connections[0]!);
  } finally {
    await ctx.children.stop(bare.child);
  }
}

export async function loadExperiment(ctx: BenchContext, cpuPerCycle: number): Promise<LoadExperiment> {
  const probe = await startProbe(ctx.children, ctx.probeEnv);
  try {
    await probe.waitReady(30_000);
    const idle = await idleCpu(ctx, probe, cpuPerCycle);
    const sts0 = (await ctx.sandbox.stsCounts()).total;
    const cycles0 = await probe.metric('irsa_probe_cycles_total');
    const cpu0 = cpuSeconds(probe.pid);
    const runs: LoadRun[] = [];
    for (const connections of ctx.params.connections) {
      for (const [path, rate] of [['/livez', READYZ_RATE], ['/readyz', READYZ_RATE], ['/metrics', METRICS_RATE]] as const) runs.push(await measured(ctx, probe, path, rate, connections));
    }
    const loadCpuSeconds = cpuSeconds(probe.pid) - cpu0;
    const sts1 = (await ctx.sandbox.stsCounts()).total;
    const scheduledCycles = (await probe.metric('irsa_probe_cycles_total')) - cycles0;
    const defaultMetricsOnly = await bareMetrics(ctx);
    const primary = (path: string): LoadRun => runs.find((r) => r.connections === ctx.params.connections[0] && r.url.endsWith(path))!;
    return {
      runs,
      livez: primary('/livez'),
      readyz: primary('/readyz'),
      metrics: primary('/metrics'),
      idleCpuPerSecond: idle[0]!.cpuMsPerSecond / 1000,
      idle,
      idleSeconds: ctx.params.idleSeconds,
      stsCalls: sts1 - sts0,
      scheduledCycles,
      extraStsCalls: sts1 - sts0 - scheduledCycles,
      loadCpuSeconds,
      defaultMetricsOnly,
    };
  } finally {
    await ctx.children.stop(probe.child);
  }
}
