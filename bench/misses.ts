/** For every missed target: by how much, why (from this run's numbers), and the proposed fixes. */
import { figures, fmtCpu, fmtMiB } from './figures.js';
import { settledSlope } from './exp-leak.js';
import { TARGETS, type Results } from './results.js';

type Explain = (r: Results) => string;

/** CPU above the baseline of importing one module row, formatted; '?' when not measured. */
function importCpu(r: Results, id: string): string {
  const m = r.modules.find((x) => x.id === id);
  return m === undefined ? '?' : fmtCpu(m.extraCpuSeconds);
}

function importRss(r: Results, id: string): string {
  const m = r.modules.find((x) => x.id === id);
  return m === undefined ? '?' : fmtMiB(m.maxRssBytes.median);
}

function importRssExtra(r: Results, id: string): string {
  const m = r.modules.find((x) => x.id === id);
  return m === undefined ? '?' : fmtMiB(m.extraRssBytes);
}

function loadBreakdown(r: Results): string {
  return `importing \`dist/src/main.js\` alone costs ${importCpu(r, 'main')} above an empty ES module; alone, \`express\` costs ${importCpu(r, 'express')}, \`prom-client\` ${importCpu(r, 'prom-client')}, the whole of \`jose\` ${importCpu(r, 'jose')} (its three decode modules: ${importCpu(r, 'jose-decode')}), \`@aws-sdk/client-sts\` ${importCpu(r, 'client-sts')} and \`@aws-sdk/credential-provider-node\` ${importCpu(r, 'chain')}`;
}

function variantLines(r: Results): string {
  if (r.variants.length === 0) return 'The full run measures V8-flag variants (see its table).';
  const base = r.steady;
  const lines = r.variants.map((v) => {
    const cpu = base.earlyCpuSecondsPerCycle === undefined ? '' : `, CPU per cycle to cycle 1,000 ${fmtCpu(v.steady.cpuSecondsPerCycle)} against ${fmtCpu(base.earlyCpuSecondsPerCycle)} with the image's flags`;
    return `\`NODE_OPTIONS="${v.steady.nodeOptions}"\`: ${fmtMiB(v.steady.rssEndBytes)} after ${v.steady.cycles} cycles${cpu} (bare server under the same flags: ${fmtMiB(v.floor.rss.median)})`;
  });
  return `Measured in this run: ${lines.join('; ')}.`;
}

export function liveHeapSentence(leak: NonNullable<Results['leak']>): string {
  const settled = settledSlope(leak.points);
  const small = Math.abs(settled.bytesPer1000Cycles) < 100 * 1024;
  return `The live heap after a full GC, from heap snapshots, went ${leak.points.map((p) => `${fmtMiB(p.liveHeapBytes)} at cycle ${p.cycle}`).join(' → ')}: ${(settled.bytesPer1000Cycles / 1024).toFixed(1)} KiB per 1,000 cycles from cycle ${settled.from} on${small ? ', so changes in RSS are not retained objects but V8 sizing its heap (reserved heap, young generation), compiled code and allocator fragmentation' : ': retained objects grow; compare the snapshots by constructor (the table under "serve at the minimum interval") to find them'}.`;
}

const EXPLAIN: Record<string, Explain> = {
  'exec-cpu': (r) =>
    `A cycle costs ${fmtCpu(r.steady.cpuSecondsPerCycle)}: reading and decoding the token, one signed GetCallerIdentity through the AWS SDK's middleware stack (SigV4, XML parsing), and updating the report, health and metrics. Proposed: profile a cycle (\`node --cpu-prof\`) and trim what repeats per cycle without need (e.g. re-creating SDK commands or clients, rendering the status report eagerly).`,
  'check-cpu': (r) =>
    `A one-shot \`check\` (${fmtCpu(r.oneShot.check.cpuSeconds.median)}) is almost all start-up: ${loadBreakdown(r)}. The cycle itself is a few milliseconds (see \`serve\`'s CPU per cycle), though \`check\` does 4 STS calls where the CLI, with its credential cache, does 1. Already done: \`check\` loads neither express nor prom-client (only \`serve\` imports them), and jose is imported through its decode modules; what is left is mostly the AWS SDK (\`@aws-sdk/client-sts\` and the default chain's provider, which the chain check needs). Proposed: in the Node 24 image, Node's module compile cache (\`NODE_COMPILE_CACHE\`, filled at build time; Node 26 adds \`NODE_COMPILE_CACHE_READONLY\` for a read-only root), which removes most compilation from every later start; measure it there, since this run is on Node ${r.machine.node}.`,
  'check-memory': (r) =>
    `\`check\` peaks at ${fmtMiB(r.oneShot.check.maxRssBytes.median)} against the CLI's ${fmtMiB(r.oneShot.aws.maxRssBytes.median)}; the bare runtime (\`node -e ''\`) already peaks at ${fmtMiB(r.oneShot.nodeEmpty.maxRssBytes.median)}, and importing \`dist/src/main.js\` without running anything peaks at ${importRss(r, 'main')}: the peak is the loaded code, not the cycle. Alone, \`express\` adds ${importRssExtra(r, 'express')}, \`prom-client\` ${importRssExtra(r, 'prom-client')}, the whole of \`jose\` ${importRssExtra(r, 'jose')} (its decode modules ${importRssExtra(r, 'jose-decode')}), \`@aws-sdk/client-sts\` ${importRssExtra(r, 'client-sts')}. \`check\` already loads neither of express and prom-client; the rest is the AWS SDK, which the check is about. Proposed: accept the difference where it is a few MiB (the exec-probe design it replaces runs the CLI every 10 s), or measure the compile cache's effect on the image.`,
  'serve-rss': (r) =>
    `The bare Node.js server is ${fmtMiB(r.floor.rss.median)} on this machine (Node ${r.machine.node}), leaving ${fmtMiB(TARGETS.rssBytes - r.floor.rss.median)} for the probe within the target; \`serve\` holds ${fmtMiB(r.steady.rssEndBytes - r.floor.rss.median)} above that floor. At the end its V8 heap had ${r.steady.heapUsedBytes === undefined ? '?' : fmtMiB(r.steady.heapUsedBytes)} in use of ${r.steady.heapTotalBytes === undefined ? '?' : fmtMiB(r.steady.heapTotalBytes)} reserved: V8 keeps the old generation's headroom; the rest above the floor is loaded and compiled code (importing \`dist/src/main.js\` alone peaks at ${importRss(r, 'main')}). ${variantLines(r)} \`--jitless\` also turns off WebAssembly, which Node's built-in \`fetch\` needs; the probe does not use it (the AWS SDK uses node:http), as the run shows, but that must stay true. The image already runs with \`--max-semi-space-size=1\` (this figure). Proposed: \`--jitless\`, after the same run on the image's Node 24; fewer loaded modules (express, a core dependency, for four GET routes); otherwise keep the 60 MiB target as the aim and size the memory request from this table (the manifests' 112Mi already does).`,
  'serve-growth': (r) => {
    const growth = fmtMiB(r.steady.rssEndBytes - r.steady.rssFromBytes);
    const leak = r.leak;
    const live = leak === undefined ? (r.mode === 'quick' ? 'The quick mode stops at 500 cycles, before V8 has sized its heap; the full run measures 500→5,000 and checks the live heap with heap snapshots.' : '') : liveHeapSentence(leak);
    const variants = r.variants.length === 0 ? '' : ` The variants: ${r.variants.map((v) => `${v.steady.nodeOptions}: ${v.steady.rssEndBytes - v.steady.rssFromBytes >= 0 ? '+' : ''}${fmtMiB(v.steady.rssEndBytes - v.steady.rssFromBytes)} from cycle ${v.steady.memoryFromCycle} to ${v.steady.cycles}`).join('; ')}.`;
    return `RSS rose ${growth} between cycle ${r.steady.memoryFromCycle} and ${r.steady.cycles}; from cycle ${r.steady.memoryFromCycle} on it ranged ${fmtMiB(r.steady.rssAfterFrom.min)}–${fmtMiB(r.steady.rssAfterFrom.max)} as V8 resized its heap, so two points of it measure GC timing as much as growth. ${live}${variants} Proposed: if the live heap is flat, the growth is V8's sizing, not a leak: compare the heap snapshots' census before changing code.`;
  },
  'start-to-ready': (r) =>
    `Start to ready takes ${r.startup.readyMs.median.toFixed(0)} ms: ${r.startup.listeningMs.median.toFixed(0)} ms until \`serve\` listens (\`node -e ''\` alone: ${r.startup.nodeEmptyMs.median.toFixed(0)} ms), then ${(r.startup.readyMs.median - r.startup.listeningMs.median).toFixed(0)} ms for the first cycle (AssumeRoleWithWebIdentity, GetCallerIdentity, and the SDK chain's own AssumeRoleWithWebIdentity and GetCallerIdentity, plus loading the chain provider). Loading is the larger part: ${loadBreakdown(r)}. Already done: jose through its decode modules, and the first cycle starts before express is loaded (loading overlaps the cycle's STS round trips). Proposed: Node's module compile cache in the image (Node 24), measured there.`,
  'readyz-load': (r) =>
    `/readyz p99 was ${r.load.readyz.p99Ms.toFixed(3)} ms against /livez's ${r.load.livez.p99Ms.toFixed(3)} ms under the same load: ${r.load.readyz.p99Ms <= r.load.livez.p99Ms * 1.5 ? 'both paths are equally slow, so the tail is the machine (2 cores shared by the load generator, the server and other work), not the handler.' : 'the readiness handler itself is slower than liveness; profile it under load.'} Proposed: re-run on an idle machine before changing code.`,
  'extra-sts': () => 'Probe traffic caused STS calls: an HTTP handler must never trigger a cycle. Find the handler that calls the probe (DESIGN.md §1: handlers only read the last report).',
  'metrics-load': (r) =>
    `/metrics p99 was ${r.load.metrics.p99Ms.toFixed(2)} ms. A scrape serialises the registry, including prom-client's default process metrics (which read /proc). Proposed: drop the per-scrape process metrics that duplicate cAdvisor's, or cache the exposition for a second.`,
  'app-layer': (r) => (r.image.available ? `The app layer is ${(r.image.figures.appLayerBytes / 1e6).toFixed(2)} MB. Proposed: \`npm ci --omit=dev\`, prune SDK packages not used at run time, and bundle (esbuild) into one file.` : ''),
};

export function misses(r: Results): string {
  const missed = figures(r).filter((f) => f.met === false);
  if (missed.length === 0) return '## Targets\n\nEvery target was met in this run.\n';
  const parts = missed.map((f) => `- **${f.title}**: missed, ${f.miss ?? ''}. ${EXPLAIN[f.id]?.(r) ?? ''}`);
  return ['## Missed targets: by how much, why, and what to do', '', ...parts, ''].join('\n');
}
