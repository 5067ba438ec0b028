/** The figures of the issue, each with what it is compared against, its target and the verdict. */
import { cpuPerDefaultCycle, MiB, TARGETS, type Results } from './results.js';
import { ratio } from './stats.js';

export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly measured: string;
  readonly against: string;
  readonly ratio: string;
  readonly target: string;
  /** undefined: stated, no target. */
  readonly met: boolean | undefined;
  /** How far off, when missed. */
  readonly miss?: string;
}

export const fmtMiB = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
export const fmtMs = (ms: number, digits = 0): string => `${ms.toFixed(digits)} ms`;
/** CPU seconds; milliseconds below 0.1 s, whole ones from 10 ms (single GNU time readings have 10 ms resolution). */
export const fmtCpu = (s: number): string => (s >= 0.1 ? `${s.toFixed(2)} CPU-s` : `${(s * 1000).toFixed(s >= 0.01 ? 0 : 2)} CPU-ms`);
export const fmtX = (x: number | undefined, digits = 2): string => (x === undefined ? 'n/a' : `${x.toFixed(digits)}×`);

function verdict(met: boolean, miss: () => string): Pick<Figure, 'met' | 'miss'> {
  return met ? { met } : { met, miss: miss() };
}

function execCpu(r: Results): Figure {
  const aws = r.oneShot.aws.cpuSeconds.median;
  const x = ratio(aws, r.steady.cpuSecondsPerCycle) ?? Infinity;
  return {
    id: 'exec-cpu',
    title: 'CPU per check: `irsa-probe serve` cycle (steady state, interval 100 ms)',
    measured: `${fmtCpu(r.steady.cpuSecondsPerCycle)} per cycle (${r.steady.windowCycles} cycles)`,
    against: `exec probe \`aws sts get-caller-identity\`: ${fmtCpu(aws)} (median of ${r.oneShot.aws.cpuSeconds.n}, ${fmtCpu(r.oneShot.aws.cpuSeconds.min)}–${fmtCpu(r.oneShot.aws.cpuSeconds.max)})`,
    ratio: `${x.toFixed(0)}× less CPU`,
    target: `≥ ${TARGETS.execCpuRatio}× less`,
    ...verdict(x >= TARGETS.execCpuRatio, () => `${(TARGETS.execCpuRatio / x).toFixed(2)}× short (${x.toFixed(0)}× instead of ${TARGETS.execCpuRatio}×)`),
  };
}

function execCpuDefaults(r: Results): Figure {
  const aws = r.oneShot.aws.cpuSeconds.median;
  const perCycle = cpuPerDefaultCycle(r);
  const x = ratio(aws, perCycle) ?? Infinity;
  return {
    id: 'exec-cpu-defaults',
    title: 'CPU per check at the defaults: one cycle plus 60 s of idling between cycles',
    measured: `${fmtCpu(perCycle)} (cycle ${fmtCpu(r.steady.cpuSecondsPerCycle)} + idle ${fmtCpu(r.load.idleCpuPerSecond)}/s × 60 s)`,
    against: `exec probe: ${fmtCpu(aws)} per check`,
    ratio: `${x.toFixed(x < 10 ? 1 : 0)}× less CPU`,
    target: 'stated',
    met: undefined,
  };
}

function checkCpu(r: Results): Figure {
  const x = ratio(r.oneShot.check.cpuSeconds.median, r.oneShot.aws.cpuSeconds.median) ?? Infinity;
  const s = r.oneShot.check.cpuSeconds;
  return {
    id: 'check-cpu',
    title: 'One-shot `irsa-probe check` process: CPU',
    measured: `${fmtCpu(s.median)} (${fmtCpu(s.min)}–${fmtCpu(s.max)}, n=${s.n})`,
    against: `\`aws sts get-caller-identity\`: ${fmtCpu(r.oneShot.aws.cpuSeconds.median)}`,
    ratio: fmtX(x),
    target: `≤ ${TARGETS.checkCpuRatio}×`,
    ...verdict(x <= TARGETS.checkCpuRatio, () => `${(x / TARGETS.checkCpuRatio).toFixed(2)}× over (${fmtX(x)} instead of ≤ ${TARGETS.checkCpuRatio}×)`),
  };
}

function checkMemory(r: Results): Figure {
  const x = ratio(r.oneShot.check.maxRssBytes.median, r.oneShot.aws.maxRssBytes.median) ?? Infinity;
  const s = r.oneShot.check.maxRssBytes;
  return {
    id: 'check-memory',
    title: 'One-shot `irsa-probe check` process: peak memory (maxrss)',
    measured: `${fmtMiB(s.median)} (${fmtMiB(s.min)}–${fmtMiB(s.max)})`,
    against: `\`aws sts get-caller-identity\`: ${fmtMiB(r.oneShot.aws.maxRssBytes.median)}; \`node -e ''\`: ${fmtMiB(r.oneShot.nodeEmpty.maxRssBytes.median)}`,
    ratio: fmtX(x),
    target: `≤ ${TARGETS.checkMemoryRatio.toFixed(1)}×`,
    ...verdict(x <= TARGETS.checkMemoryRatio, () => `${fmtMiB(s.median - TARGETS.checkMemoryRatio * r.oneShot.aws.maxRssBytes.median)} over (${fmtX(x)})`),
  };
}

function serveRss(r: Results): Figure {
  const rss = r.steady.rssEndBytes;
  return {
    id: 'serve-rss',
    title: `Resident memory of \`serve\` after ${r.steady.cycles} cycles${r.mode === 'quick' ? ' (quick figure)' : ''}`,
    measured: `${fmtMiB(rss)} (peak ${fmtMiB(r.steady.peakRssBytes)})`,
    against: `bare Node.js HTTP server: ${fmtMiB(r.floor.rss.median)}`,
    ratio: `${fmtX(ratio(rss, r.floor.rss.median))} (+${fmtMiB(rss - r.floor.rss.median)})`,
    target: `≤ ${fmtMiB(TARGETS.rssBytes)}`,
    ...verdict(rss <= TARGETS.rssBytes, () => `${fmtMiB(rss - TARGETS.rssBytes)} over`),
  };
}

function serveGrowth(r: Results): Figure {
  const growth = r.steady.rssEndBytes - r.steady.rssFromBytes;
  return {
    id: 'serve-growth',
    title: `RSS growth of \`serve\` from cycle ${r.steady.memoryFromCycle} to ${r.steady.cycles}${r.mode === 'quick' ? ' (quick figure)' : ''}`,
    measured: `${growth >= 0 ? '+' : ''}${fmtMiB(growth)} (${fmtMiB(r.steady.rssFromBytes)} → ${fmtMiB(r.steady.rssEndBytes)}; RSS ranged ${fmtMiB(r.steady.rssAfterFrom.min)}–${fmtMiB(r.steady.rssAfterFrom.max)} in between)`,
    against: '—',
    ratio: '—',
    target: `≤ ${fmtMiB(TARGETS.growthBytes)}`,
    ...verdict(growth <= TARGETS.growthBytes, () => `${fmtMiB(growth - TARGETS.growthBytes)} over`),
  };
}

function startToReady(r: Results): Figure {
  const s = r.startup.readyMs;
  return {
    id: 'start-to-ready',
    title: 'Process start to first `/readyz` 200 (defaults, sandbox)',
    measured: `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.n})`,
    against: `\`node -e ''\` start to exit: ${fmtMs(r.startup.nodeEmptyMs.median)}`,
    ratio: fmtX(ratio(s.median, r.startup.nodeEmptyMs.median), 1),
    target: `median < ${TARGETS.readyMs} ms`,
    ...verdict(s.median < TARGETS.readyMs, () => `${fmtMs(s.median - TARGETS.readyMs)} over`),
  };
}

function readyzLoad(r: Results): Figure {
  const { readyz, livez } = r.load;
  const clean = readyz.non2xx === 0 && readyz.errors === 0;
  return {
    id: 'readyz-load',
    title: `\`/readyz\` under load: p99 at ${readyz.targetRate} requests/s (${readyz.connections} connection${readyz.connections === 1 ? '' : 's'})`,
    measured: `p99 ${fmtMs(readyz.p99Ms, 3)} (p50 ${fmtMs(readyz.p50Ms, 3)}, max ${fmtMs(readyz.maxMs, 1)}; ${readyz.achievedRate.toFixed(0)}/s achieved, ${readyz.non2xx} non-2xx, ${readyz.errors} errors)`,
    against: `\`/livez\`: p99 ${fmtMs(livez.p99Ms, 3)} (p50 ${fmtMs(livez.p50Ms, 3)})`,
    ratio: fmtX(ratio(readyz.p99Ms, livez.p99Ms)),
    target: `p99 ≤ ${TARGETS.readyzP99Ms} ms`,
    ...verdict(readyz.p99Ms <= TARGETS.readyzP99Ms && clean, () => (clean ? `${fmtMs(readyz.p99Ms - TARGETS.readyzP99Ms, 3)} over` : `${readyz.non2xx} non-2xx answers and ${readyz.errors} errors`)),
  };
}

function extraSts(r: Results): Figure {
  const l = r.load;
  return {
    id: 'extra-sts',
    title: 'STS calls caused by probe traffic (during all load runs)',
    measured: `${l.extraStsCalls} extra (${l.stsCalls} STS calls, ${l.scheduledCycles} scheduled cycles, ${l.runs.reduce((n, x) => n + x.responses, 0)} measured HTTP requests plus warm-ups)`,
    against: 'sandbox STS counter before/after',
    ratio: '—',
    target: 'zero',
    ...verdict(l.extraStsCalls <= TARGETS.extraStsCalls, () => `${l.extraStsCalls} extra calls`),
  };
}

function metricsLoad(r: Results): Figure {
  const m = r.load.metrics;
  const clean = m.non2xx === 0 && m.errors === 0;
  return {
    id: 'metrics-load',
    title: `\`/metrics\` under load: p99 at ${m.targetRate} requests/s (${m.connections} connection${m.connections === 1 ? '' : 's'})`,
    measured: `p99 ${fmtMs(m.p99Ms, 2)} (p50 ${fmtMs(m.p50Ms, 2)}, max ${fmtMs(m.maxMs, 1)}; ${m.achievedRate.toFixed(1)}/s achieved)`,
    against: '—',
    ratio: '—',
    target: `p99 ≤ ${TARGETS.metricsP99Ms} ms`,
    ...verdict(m.p99Ms <= TARGETS.metricsP99Ms && clean, () => (clean ? `${fmtMs(m.p99Ms - TARGETS.metricsP99Ms, 2)} over` : `${m.non2xx} non-2xx answers and ${m.errors} errors`)),
  };
}

function stsPerHour(r: Results): Figure {
  const s = r.stsRate;
  return {
    id: 'sts-per-hour',
    title: 'STS calls per pod per hour at the defaults',
    measured: `${s.projected.total.toFixed(1)} measured at 1/${s.scale} scale (+${(s.model.total - s.modelWithoutIdentityChecks.total).toFixed(2)} for the identity interval); model ${s.model.total.toFixed(1)}`,
    against: `naive design (assume on every check): ${s.naive.total.toFixed(0)}`,
    ratio: `${fmtX(ratio(s.naive.total, s.model.total))} fewer`,
    target: 'stated',
    met: undefined,
  };
}

function appLayer(r: Results): Figure {
  if (!r.image.available) return { id: 'app-layer', title: "Image: the app layer's size", measured: `not available: ${r.image.why}`, against: '—', ratio: '—', target: '< 20 MB', met: undefined };
  const f = r.image.figures;
  return {
    id: 'app-layer',
    title: "Image: the app layer's size (from the container test)",
    measured: `${(f.appLayerBytes / 1e6).toFixed(2)} MB (${fmtMiB(f.appLayerBytes)}); image ${(f.imageBytes / 1e6).toFixed(1)} MB`,
    against: `base ${f.base}: ${(f.baseBytes / 1e6).toFixed(1)} MB`,
    ratio: '—',
    target: '< 20 MB',
    ...verdict(f.appLayerBytes < TARGETS.appLayerBytes, () => `${((f.appLayerBytes - TARGETS.appLayerBytes) / 1e6).toFixed(2)} MB over`),
  };
}

export function figures(r: Results): Figure[] {
  return [execCpu(r), execCpuDefaults(r), checkCpu(r), checkMemory(r), serveRss(r), serveGrowth(r), startToReady(r), readyzLoad(r), extraSts(r), metricsLoad(r), stsPerHour(r), appLayer(r)];
}
