import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PARAMS } from '../../bench/context.js';
import type { LoadRun } from '../../bench/exp-load.js';
import { stsModel, naiveModel, DEFAULTS } from '../../bench/exp-sts-rate.js';
import { figures } from '../../bench/figures.js';
import { renderMarkdown } from '../../bench/report-md.js';
import { MiB, type Results } from '../../bench/results.js';
import { summarize } from '../../bench/stats.js';

const one = (v: number) => summarize([v]);

function run(path: string, p99Ms: number, extra: Partial<LoadRun> = {}): LoadRun {
  return { url: `http://127.0.0.1:1${path}`, connections: 1, targetRate: path === '/metrics' ? 50 : 2000, achievedRate: 2000, responses: 1000, non2xx: 0, errors: 0, p50Ms: p99Ms / 4, p99Ms, maxMs: p99Ms * 2, autocannonP99Ms: Math.ceil(p99Ms), serverCpuMsPerRequest: 0.1, ...extra };
}

/** A run where every target is met; cases override one part. */
function results(over: { serveCpu?: number; checkCpu?: number; checkRss?: number; rssEnd?: number; rssFrom?: number; readyMs?: number; readyz?: LoadRun; metrics?: LoadRun; extraSts?: number; appLayer?: number | 'missing' } = {}): Results {
  const side = (command: string, cpu: number, rss: number) => ({ command, cpuSeconds: one(cpu), maxRssBytes: one(rss), wallMs: one(1000), stsCalls: one(1), assumesPerRun: one(0) });
  const readyz = over.readyz ?? run('/readyz', 0.8);
  const metrics = over.metrics ?? run('/metrics', 5);
  const livez = run('/livez', 0.9);
  const model = stsModel(DEFAULTS);
  return {
    mode: 'full',
    params: PARAMS.full,
    machine: { cpuModel: 'cpu', cores: 2, memoryBytes: 8 * 2 ** 30, kernel: 'Linux', os: 'Debian', node: 'v20', probeVersion: '0.1.0', revision: 'abc' },
    awsCli: 'aws-cli/2.9.19',
    gnuTime: 'GNU time 1.9',
    startedAt: '2026-01-01T00:00:00Z',
    seconds: 60,
    loadAverageStart: '1 / 1 / 1',
    loadAverageEnd: '1 / 1 / 1',
    oneShot: { aws: side('aws sts get-caller-identity', 1.2, 65 * MiB), check: side('check', over.checkCpu ?? 0.3, over.checkRss ?? 60 * MiB), nodeEmpty: side("node -e ''", 0.04, 37 * MiB) },
    steady: { nodeOptions: '', cycles: 5000, windowCycles: 4980, cyclesPerSecond: 9, cpuSecondsPerCycle: over.serveCpu ?? 0.008, earlyCpuSecondsPerCycle: 0.009, getCallerIdentityPerCycle: 1, assumesInWindow: 0, memoryFromCycle: 500, rssFromBytes: over.rssFrom ?? 55 * MiB, rssEndBytes: over.rssEnd ?? 56 * MiB, rssEnd: one(over.rssEnd ?? 56 * MiB), rssAfterFrom: summarize([54 * MiB, 58 * MiB]), peakRssBytes: 57 * MiB, heapUsedBytes: 20 * MiB, heapTotalBytes: 30 * MiB, externalBytes: 1, seconds: 500 },
    floor: { nodeOptions: '', rss: one(48 * MiB) },
    variants: [],
    startup: { readyMs: one(over.readyMs ?? 400), listeningMs: one(300), nodeEmptyMs: one(50) },
    load: { runs: [livez, readyz, metrics], livez, readyz, metrics, idleCpuPerSecond: 0.002, idle: [], idleSeconds: 60, stsCalls: 1 + (over.extraSts ?? 0), scheduledCycles: 1, extraStsCalls: over.extraSts ?? 0, loadCpuSeconds: 1, defaultMetricsOnly: run('/metrics', 4) },
    stsRate: { scale: 120, wallSeconds: 240, scaledHours: 8, cycles: 470, getCallerIdentity: 478, assumeRoleWithWebIdentity: 17, reassumeEveryMinutes: 55.5, projected: model, model, modelWithoutIdentityChecks: model, naive: naiveModel(60) },
    image: over.appLayer === 'missing' ? { available: false, why: 'no file' } : { available: true, figures: { image: 'i', base: 'b', nodeVersion: 'v24', imageBytes: 2e8, baseBytes: 1.8e8, appLayerBytes: over.appLayer ?? 19e6, writtenAt: 'then' } },
    modules: [],
    leak: { grew: [{ group: 'object:Foo', count: 3, bytes: 96 }], points: [{ cycle: 500, liveHeapBytes: 15 * MiB, heapObjects: 1, rssBytes: 1 }, { cycle: 2500, liveHeapBytes: 15 * MiB + 2048, heapObjects: 1, rssBytes: 1 }], bytesPer1000Cycles: 1024 },
  };
}

const verdictOf = (r: Results, id: string) => figures(r).find((f) => f.id === id)!;

describe('bench figures against their targets', () => {
  it('a run meeting every target misses none', () => {
    const missed = figures(results()).filter((f) => f.met === false);
    assert.deepEqual(missed.map((f) => f.id), []);
  });

  const cases: Array<{ name: string; over: Parameters<typeof results>[0]; id: string; miss: RegExp }> = [
    { name: 'serve cycle CPU only 80× below the exec probe', over: { serveCpu: 0.015 }, id: 'exec-cpu', miss: /1\.25× short \(80× instead of 100×\)/ },
    { name: 'check CPU at 0.5× the CLI', over: { checkCpu: 0.6 }, id: 'check-cpu', miss: /1\.67× over/ },
    { name: 'check peak memory above the CLI', over: { checkRss: 70 * MiB }, id: 'check-memory', miss: /5\.0 MiB over/ },
    { name: 'serve RSS 61 MiB', over: { rssEnd: 61 * MiB }, id: 'serve-rss', miss: /1\.0 MiB over/ },
    { name: 'RSS growth of 3 MiB', over: { rssFrom: 53 * MiB }, id: 'serve-growth', miss: /1\.0 MiB over/ },
    { name: 'start to ready of 600 ms', over: { readyMs: 600 }, id: 'start-to-ready', miss: /100 ms over/ },
    { name: '/readyz p99 of 2.5 ms', over: { readyz: run('/readyz', 2.5) }, id: 'readyz-load', miss: /0\.500 ms over/ },
    { name: '/readyz answering errors even when fast', over: { readyz: run('/readyz', 0.5, { non2xx: 3 }) }, id: 'readyz-load', miss: /3 non-2xx/ },
    { name: 'one STS call caused by probe traffic', over: { extraSts: 1 }, id: 'extra-sts', miss: /1 extra calls/ },
    { name: '/metrics p99 of 12 ms', over: { metrics: run('/metrics', 12) }, id: 'metrics-load', miss: /2\.00 ms over/ },
    { name: 'an app layer of 21 MB', over: { appLayer: 21e6 }, id: 'app-layer', miss: /1\.00 MB over/ },
  ];
  for (const c of cases) {
    it(`misses ${c.id} for ${c.name}, saying by how much`, () => {
      const f = verdictOf(results(c.over), c.id);
      assert.equal(f.met, false);
      assert.match(f.miss ?? '', c.miss);
    });
  }

  it('states the STS rate and the CPU at the defaults without a verdict', () => {
    assert.equal(verdictOf(results(), 'sts-per-hour').met, undefined);
    assert.equal(verdictOf(results(), 'exec-cpu-defaults').met, undefined);
  });

  it('reports the image as not available, not as met, without the container figures', () => {
    const f = verdictOf(results({ appLayer: 'missing' }), 'app-layer');
    assert.equal(f.met, undefined);
    assert.match(f.measured, /not available/);
  });

  it('renders RESULTS.md with every figure, the misses and the fleet arithmetic', () => {
    const md = renderMarkdown(results({ rssEnd: 101 * MiB }));
    for (const f of figures(results({ rssEnd: 101 * MiB }))) assert.ok(md.includes(f.title), `missing ${f.title}`);
    assert.match(md, /## Missed targets/);
    assert.match(md, /\*\*missed\*\*: 41\.0 MiB over/);
    assert.match(md, /\| 1,000 pods \| 10,000 pods \|/);
    assert.match(md, /`object:Foo` \| \+3 \| \+0\.1 KiB/);
    assert.doesNotMatch(md, /undefined|NaN/);
  });
});
