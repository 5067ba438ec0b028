#!/usr/bin/env node
/**
 * Soak: many fast probe cycles with faults switched on and off, measuring
 * what must not grow.
 *
 *   node --expose-gc dist/test/soak/soak.js [--cycles 20000] [--phase-cycles N] [--out DIR] [--json]
 *
 * The sandbox runs in its own process (test/helpers/sandbox-process.ts), so
 * its work does not count against the probe's event loop. The probe runs in
 * this process exactly as `serve` wires it (createServeState, Scheduler, the HTTP
 * server, a scraper hitting /readyz and /metrics), with a 1 ms scheduler
 * interval instead of the config minimum of 100 ms. Faults rotate through
 * phases (STS 503, throttling, slow STS past the timeout, hanging STS, refused
 * connections, IDPCommunicationError, garbage token, S3 denied and flaky),
 * each followed by a healthy phase.
 *
 * Measured: resident memory, heap after GC, open file descriptors
 * (/proc/self/fd), active handles and timers (process.getActiveResourcesInfo),
 * event-loop delay (perf_hooks.monitorEventLoopDelay), overlapping cycles.
 * Exit 0 when every bound holds, 1 otherwise; the verdict and the numbers go
 * to <out>/soak-<cycles>.json (table rows) and soak-detail-<cycles>.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createServeState } from '../../src/serve-state.js';
import { Scheduler } from '../../src/scheduler.js';
import { createApp, listen } from '../../src/server.js';
import type { Report } from '../../src/types.js';
import { startSandboxProcess } from '../helpers/sandbox-process.js';

export const BOUNDS = {
  /** Heap after a full GC, end minus end of warm-up. */
  heapGrowthBytes: 16 * 1024 * 1024,
  /** Resident set, highest minus end of warm-up. */
  rssGrowthBytes: 64 * 1024 * 1024,
  /** Open file descriptors: median of the last fifth of the run minus median of the first fifth after warm-up (keep-alive sockets come and go). */
  fdGrowth: 8,
  /** Active timers, the same medians. */
  timerGrowth: 4,
  /** All active resources, the same medians. */
  resourceGrowth: 10,
  /**
   * Event-loop delay p99. Generous on purpose: the machine's own load moves it
   * (20-32 ms seen on a loaded 2-core machine with a healthy probe), while what
   * it guards against, synchronous work in a cycle such as a blocking file
   * read, shows up as hundreds of milliseconds or a hang.
   */
  eventLoopP99Ms: 60,
} as const;

interface Phase {
  readonly name: string;
  readonly faults: Record<string, unknown>;
  /** Also rotate the token when the phase starts (the fault shows only when the probe must assume again). */
  readonly rotate?: boolean;
}

const FAULT_PHASES: readonly Phase[] = [
  { name: 'sts 503', faults: { stsStatus: 503 } },
  { name: 'sts throttling 50%', faults: { stsThrottleShare: 0.5 } },
  { name: 'sts slower than the timeout', faults: { stsDelayMs: 400 } },
  { name: 'sts hangs', faults: { stsHang: true } },
  { name: 'sts refuses connections', faults: { stsRefuse: true } },
  { name: 'IDPCommunicationError', faults: { stsIdpError: true }, rotate: true },
  { name: 'garbage token', faults: { tokenContent: 'garbage' } },
  { name: 's3 denied', faults: { s3Deny: true } },
  { name: 's3 flaky 30%', faults: { s3FlakyShare: 0.3 } },
];
/** A phase ends after this many cycles or this long, whichever comes first (slow faults cost a timeout per cycle). */
const PHASE_MAX_MS = 2_000;
const PROBE_TIMEOUT = '250ms';

interface Sample {
  readonly t: number;
  readonly cycles: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly fds: number;
  readonly timers: number;
  readonly resources: number;
}

interface PhaseResult {
  readonly name: string;
  readonly cycles: number;
  readonly failed: number;
  readonly reasons: Record<string, number>;
  readonly ms: number;
}

// ---------------------------------------------------------------------------
// the sandbox

async function admin(base: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`sandbox admin ${path}: HTTP ${res.status}`);
}

// ---------------------------------------------------------------------------
// measuring

function sample(cycles: number): Sample {
  const resources = process.getActiveResourcesInfo();
  const m = process.memoryUsage();
  return { t: Date.now(), cycles, rss: m.rss, heapUsed: m.heapUsed, fds: readdirSync('/proc/self/fd').length, timers: resources.filter((r) => r === 'Timeout').length, resources: resources.length };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

/** Medians of a field over the first and the last fifth of the samples taken after warm-up. */
function trend(samples: readonly Sample[], field: 'fds' | 'timers' | 'resources'): { first: number; last: number; max: number } {
  const n = Math.max(1, Math.floor(samples.length / 5));
  return { first: median(samples.slice(0, n).map((s) => s[field])), last: median(samples.slice(-n).map((s) => s[field])), max: Math.max(...samples.map((s) => s[field])) };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// ---------------------------------------------------------------------------
// the soak

export interface SoakOptions {
  readonly cycles: number;
  readonly phaseCycles: number;
  readonly outDir: string;
}

export interface SoakResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly summary: Record<string, unknown>;
}

export async function soak(opts: SoakOptions): Promise<SoakResult> {
  const worldDir = mkdtempSync(join(tmpdir(), 'irsa-soak-'));
  const world = await startSandboxProcess(worldDir);
  Object.assign(process.env, world.env); // the SDK's default chain reads process.env
  const { config } = loadConfig(['serve', '--host', '127.0.0.1', '--port', '0', '--interval', '100ms', '--timeout', PROBE_TIMEOUT], process.env);
  let logLines = 0;
  const runtime = createServeState(config, { version: 'soak', log: createLogger('info', () => void (logLines += 1)) });
  const listening = await listen(createApp({ health: runtime.health, metrics: runtime.metrics, status: () => runtime.status() }), config.host, config.port);

  let inFlight = 0;
  let overlaps = 0;
  let cycles = 0;
  let phaseReports: Report[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const scheduler = new Scheduler(
    async (signal) => {
      inFlight += 1;
      if (inFlight > 1) overlaps += 1;
      try {
        return await runtime.probe.run(signal);
      } finally {
        inFlight -= 1;
      }
    },
    {
      intervalMs: 1,
      cycleBudgetMs: config.cycleBudgetMs,
      onReport: (report) => {
        runtime.record(report);
        phaseReports.push(report);
        cycles += 1;
        if (cycles >= opts.cycles) done();
      },
      onBeat: (now) => runtime.beat(now),
    },
  );

  // What kubelet and Prometheus do meanwhile.
  let scrapes = 0;
  let scrapeErrors = 0;
  const scrape = (path: string) => fetch(`${listening.url}${path}`).then(async (r) => {
    await r.arrayBuffer();
    scrapes += 1;
  }, () => void (scrapeErrors += 1));
  const readyzTimer = setInterval(() => void scrape('/readyz'), 250);
  const metricsTimer = setInterval(() => void scrape('/metrics'), 1_000);

  const samples: Sample[] = [];
  const sampler = setInterval(() => samples.push(sample(cycles)), 1_000);
  const eld = monitorEventLoopDelay({ resolution: 10 });
  const warmupCycles = Math.max(100, Math.floor(opts.cycles * 0.1));
  let warm: Sample | undefined;
  let warmHeap = 0;
  const phases: PhaseResult[] = [];
  const started = Date.now();

  scheduler.start();
  const runPhases = async (): Promise<void> => {
    for (let i = 0; cycles < opts.cycles; i++) {
      const fault = i % 2 === 1 ? FAULT_PHASES[Math.floor(i / 2) % FAULT_PHASES.length]! : undefined;
      if (fault) {
        await admin(world.adminUrl, '/faults', fault.faults);
        if (fault.rotate) await admin(world.adminUrl, '/rotate');
      } else {
        await admin(world.adminUrl, '/faults/reset');
      }
      phaseReports = [];
      const t = Date.now();
      const until = cycles + opts.phaseCycles;
      while (cycles < until && cycles < opts.cycles && Date.now() - t < PHASE_MAX_MS) {
        await new Promise((r) => setTimeout(r, 20));
        if (warm === undefined && cycles >= warmupCycles) {
          gc();
          warm = sample(cycles);
          warmHeap = process.memoryUsage().heapUsed;
          eld.enable();
        }
      }
      const failed = phaseReports.filter((r) => !r.ok);
      phases.push({ name: fault?.name ?? 'healthy', cycles: phaseReports.length, failed: failed.length, reasons: countBy(failed.flatMap((r) => r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}:${c.reason}`))), ms: Date.now() - t });
    }
  };
  await runPhases();
  await finished;
  eld.disable();
  const elapsedMs = Date.now() - started;
  await scheduler.stop();
  await admin(world.adminUrl, '/faults/reset');
  clearInterval(readyzTimer);
  clearInterval(metricsTimer);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 300));
  gc();
  const end = sample(cycles);
  const endHeap = process.memoryUsage().heapUsed;
  const endResources = countBy(process.getActiveResourcesInfo());
  await listening.close();
  await world.stop();
  rmSync(worldDir, { recursive: true, force: true });

  const w = warm ?? samples[0] ?? end;
  const after = samples.filter((x) => x.t >= w.t);
  const maxRss = Math.max(w.rss, ...after.map((x) => x.rss), end.rss);
  const fds = trend(after, 'fds');
  const timers = trend(after, 'timers');
  const resources = trend(after, 'resources');
  const p = (q: number) => eld.percentile(q) / 1e6;
  const eldMs = { p50: p(50), p99: p(99), max: eld.max / 1e6, mean: eld.mean / 1e6 };
  const faultPhases = phases.filter((ph) => ph.name !== 'healthy' && ph.cycles > 0);
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => void (ok || problems.push(problem));
  check(cycles >= opts.cycles, `only ${cycles} of ${opts.cycles} cycles ran`);
  check(overlaps === 0, `${overlaps} cycles overlapped`);
  check(endHeap - warmHeap <= BOUNDS.heapGrowthBytes, `heap after GC grew ${mb(endHeap - warmHeap)} (bound ${mb(BOUNDS.heapGrowthBytes)})`);
  check(maxRss - w.rss <= BOUNDS.rssGrowthBytes, `RSS grew ${mb(maxRss - w.rss)} (bound ${mb(BOUNDS.rssGrowthBytes)})`);
  check(after.length >= 10, `only ${after.length} samples after warm-up`);
  check(fds.last - fds.first <= BOUNDS.fdGrowth, `open fds grew from a median of ${fds.first} to ${fds.last}`);
  check(timers.last - timers.first <= BOUNDS.timerGrowth, `active timers grew from a median of ${timers.first} to ${timers.last}`);
  check(resources.last - resources.first <= BOUNDS.resourceGrowth, `active resources grew from a median of ${resources.first} to ${resources.last}`);
  check(end.timers === 0, `${end.timers} timers still active after the probe stopped: ${JSON.stringify(endResources)}`);
  check(eldMs.p99 < BOUNDS.eventLoopP99Ms, `event-loop delay p99 ${eldMs.p99.toFixed(1)} ms (bound ${BOUNDS.eventLoopP99Ms} ms)`);
  check(scrapeErrors === 0, `${scrapeErrors} scrapes of /readyz or /metrics failed`);
  check(faultPhases.every((ph) => ph.failed > 0), `faults without failed cycles: ${faultPhases.filter((ph) => ph.failed === 0).map((ph) => ph.name).join(', ')}`);
  const healthyTail = phases.filter((ph) => ph.name === 'healthy' && ph.cycles >= 10);
  check(healthyTail.every((ph) => ph.failed < ph.cycles), 'a healthy phase never passed a cycle (a fault did not clear)');

  const summary = {
    cycles,
    elapsedS: elapsedMs / 1000,
    cyclesPerSecond: Math.round((cycles / elapsedMs) * 1000),
    phases: phases.length,
    faultPhasesRun: [...new Set(faultPhases.map((ph) => ph.name))],
    overlaps,
    rss: { warm: w.rss, max: maxRss, end: end.rss },
    heapAfterGc: { warm: warmHeap, end: endHeap, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' },
    fds,
    timers,
    resources,
    afterStop: { fds: end.fds, timers: end.timers, resources: endResources },
    eventLoopDelayMs: eldMs,
    scrapes,
    scrapeErrors,
    logLines,
    bounds: BOUNDS,
  };
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, `soak-detail-${opts.cycles}.json`), `${JSON.stringify({ ok: problems.length === 0, problems, summary, phases, samples }, null, 2)}\n`);
  const rows = [
    { group: 'soak', event: `${cycles} cycles in ${summary.elapsedS.toFixed(0)} s (${summary.cyclesPerSecond}/s), ${phases.length} phases, faults: ${summary.faultPhasesRun.join(', ')}`, outcome: problems.length === 0 ? `all bounds held; ${overlaps} overlapping cycles` : `FAILED: ${problems.join('; ')}`, ms: elapsedMs },
    { group: 'soak', event: 'resident memory (after warm-up → highest → end)', outcome: `${mb(w.rss)} → ${mb(maxRss)} → ${mb(end.rss)}; heap after GC ${mb(warmHeap)} → ${mb(endHeap)}`, ms: null },
    { group: 'soak', event: 'open fds / timers / active resources (median of first fifth → last fifth after warm-up; highest)', outcome: `${fds.first} → ${fds.last} (${fds.max}) / ${timers.first} → ${timers.last} (${timers.max}) / ${resources.first} → ${resources.last} (${resources.max}); after stop: ${end.timers} timers`, ms: null },
    { group: 'soak', event: 'event-loop delay (p50 / p99 / max, 10 ms resolution)', outcome: `${eldMs.p50.toFixed(1)} / ${eldMs.p99.toFixed(1)} / ${eldMs.max.toFixed(1)} ms`, ms: null },
  ];
  writeFileSync(join(opts.outDir, `soak-${opts.cycles}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  return { ok: problems.length === 0, problems, summary };
}

// ---------------------------------------------------------------------------
// command line

function parseArgs(argv: readonly string[]): SoakOptions & { json: boolean } {
  let cycles = 20_000;
  let phaseCycles: number | undefined;
  let outDir = fileURLToPath(new URL('../../../.tmp/reliability/', import.meta.url));
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--cycles') cycles = Number(next());
    else if (a === '--phase-cycles') phaseCycles = Number(next());
    else if (a === '--out') outDir = next();
    else if (a === '--json') json = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}; usage: soak.js [--cycles N] [--phase-cycles N] [--out DIR] [--json]`);
  }
  if (!Number.isInteger(cycles) || cycles < 200) throw new Error('--cycles must be an integer of at least 200');
  return { cycles, phaseCycles: phaseCycles ?? Math.max(40, Math.floor(cycles / 40)), outDir, json };
}

// Not when `node --test` loads this file as one of its own (it sets NODE_TEST_CONTEXT in the child).
const isEntry = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url) && process.env.NODE_TEST_CONTEXT === undefined;
if (isEntry) {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') process.stderr.write('soak: run with node --expose-gc for heap-after-GC figures\n');
  const result = await soak(opts);
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${result.ok ? 'PASS' : 'FAIL'} ${JSON.stringify(result.summary, null, 2)}\n${result.problems.join('\n')}\n`);
  process.exit(result.ok ? 0 : 1);
}
