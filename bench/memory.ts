/**
 * `serve --interval 100ms` (the minimum) for N cycles next to a bare Node.js
 * server (the floor) on the same binary with the same NODE_OPTIONS, both
 * sampled from /proc every second: resident memory at cycle 500 and at the
 * end, CPU per cycle, and the V8 heap at the end.
 */
import { ServeProcess, type Runner } from '../test/helpers/process.js';
import { sampleValue } from '../test/helpers/prom.js';
import { BARE_SERVER } from './paths.js';
import { cpuSeconds, memory } from './proc.js';
import { median } from './stats.js';

export interface MemoryRun {
  readonly label: string;
  readonly nodeVersion: string;
  readonly nodeOptions: string;
  readonly cycles: number;
  /** Median RSS of the probe while it ran cycles [from, from + window]. */
  readonly rssAtFromBytes: number;
  /** Median RSS of the probe over the last window of cycles. */
  readonly rssEndBytes: number;
  /** Median RSS of the bare server over the same last window. */
  readonly floorEndBytes: number;
  readonly peakRssBytes: number;
  readonly cpuMsPerCycle: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly seconds: number;
}

export interface MemoryPlan {
  readonly label: string;
  readonly runner: Runner & { readonly node: string };
  readonly nodeVersion: string;
  readonly nodeOptions: string;
  readonly cycles: number;
  /** The earlier checkpoint (cycle number). */
  readonly from: number;
  /** Variables on top of the run's (e.g. the S3 bucket). */
  readonly env?: Readonly<Record<string, string>>;
}

interface Sample {
  readonly cycles: number;
  readonly rss: number;
  readonly floor: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function cyclesOf(serve: ServeProcess): Promise<number> {
  return sampleValue((await serve.get('/metrics')).body, 'irsa_probe_cycles_total') ?? 0;
}

export async function memoryRun(plan: MemoryPlan, env: Record<string, string>): Promise<MemoryRun> {
  const penv = { ...env, ...plan.env, NODE_OPTIONS: plan.nodeOptions };
  const floor = await ServeProcess.start(penv, [], { node: plan.runner.node, main: BARE_SERVER });
  const started = Date.now();
  const serve = await ServeProcess.start(penv, ['--interval', '100ms'], plan.runner);
  try {
    const pid = serve.child.pid!;
    const samples: Sample[] = [];
    let cycles = 0;
    let cpuAt: [number, number] | undefined;
    while (cycles < plan.cycles) {
      await sleep(1_000);
      cycles = await cyclesOf(serve);
      if (cpuAt === undefined && cycles >= 50) cpuAt = [cycles, cpuSeconds(pid)];
      samples.push({ cycles, rss: memory(pid).rssBytes, floor: memory(floor.child.pid!).rssBytes });
    }
    const metrics = (await serve.get('/metrics')).body;
    const [c0, cpu0] = cpuAt ?? [0, 0];
    const window = Math.max(50, Math.round(plan.cycles / 20));
    const at = (lo: number, hi: number): Sample[] => {
      const inside = samples.filter((s) => s.cycles >= lo && s.cycles <= hi);
      return inside.length > 0 ? inside : [samples[samples.length - 1]!];
    };
    const end = at(cycles - window, Number.POSITIVE_INFINITY);
    return {
      label: plan.label,
      nodeVersion: plan.nodeVersion,
      nodeOptions: plan.nodeOptions,
      cycles,
      rssAtFromBytes: median(at(plan.from, plan.from + window).map((s) => s.rss)),
      rssEndBytes: median(end.map((s) => s.rss)),
      floorEndBytes: median(end.map((s) => s.floor)),
      peakRssBytes: memory(pid).hwmBytes,
      cpuMsPerCycle: ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, cycles - c0),
      heapUsedBytes: sampleValue(metrics, 'nodejs_heap_size_used_bytes') ?? Number.NaN,
      heapTotalBytes: sampleValue(metrics, 'nodejs_heap_size_total_bytes') ?? Number.NaN,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await Promise.all([serve.stop(), floor.stop()]);
  }
}
