import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BEGIN, END, figures, GOALS, MiB, renderFigures, spliceFigures, type Results } from '../../bench/figures.js';
import type { MemoryRun } from '../../bench/memory.js';
import { imageNodeMajor } from '../../bench/runtime.js';
import { summarize } from '../../bench/stats.js';
import { imageNodeOptions } from '../../sandbox/image.js';

const run = (over: Partial<MemoryRun> = {}): MemoryRun => ({
  label: 'bundle', nodeVersion: 'v24.22.3', nodeOptions: '--jitless', cycles: 5_000, rssAtFromBytes: 70 * MiB, rssEndBytes: 70.5 * MiB, floorEndBytes: 60 * MiB,
  peakRssBytes: 75 * MiB, cpuMsPerCycle: 6, heapUsedBytes: 12 * MiB, heapTotalBytes: 20 * MiB, seconds: 530, ...over,
});

const results = (over: Partial<Results> = {}): Results => ({
  mode: 'full', startedAt: '2026-11-30T16:50:00.000Z', seconds: 560, loadAverage: { start: '0.5 / 0.5 / 0.5', end: '1 / 1 / 1' }, machine: 'AMD EPYC, 2 cores', revision: 'abc1234',
  node: 'v24.22.3', nodeOptions: '--jitless', awsCli: 'aws-cli/2.9.19', memory: run(), levers: [run({ label: 'defaults', nodeOptions: '', rssEndBytes: 110 * MiB })],
  startup: summarize([250, 280, 310]), idle: { windowSeconds: 240, cpuMsPerMinute: 20, floorCpuMsPerMinute: 1, readyzP50Ms: 0.8, readyzP99Ms: 2, readyzRequests: 100 },
  oneShot: { awsCpuMs: summarize([1000, 1100]), checkCpuMs: summarize([250, 260]), awsMaxRssBytes: summarize([65 * MiB]), checkMaxRssBytes: summarize([60 * MiB]) },
  appLayer: { bundleBytes: 3 * MiB, unbundledBytes: 19 * MiB }, ...over,
});

const verdicts = (r: Results): Array<boolean | undefined> => figures(r).map((f) => f.met);

describe('bench goals', () => {
  it('meets every goal when each figure is within it', () => {
    assert.deepEqual(verdicts(results()).slice(0, 6), [true, true, true, true, true, true]);
  });

  it('judges RSS against the bare server measured in the same run, not as an absolute', () => {
    const over = results({ memory: run({ rssEndBytes: 76 * MiB, rssAtFromBytes: 76 * MiB, floorEndBytes: 60 * MiB }) });
    assert.equal(figures(over)[0]!.met, false, '16 MiB above the floor is over the 15 MiB goal');
    const within = results({ memory: run({ rssEndBytes: 90 * MiB, rssAtFromBytes: 90 * MiB, floorEndBytes: 76 * MiB }) });
    assert.equal(figures(within)[0]!.met, true, '14 MiB above a higher floor is within it');
  });

  it('misses each goal by its own figure', () => {
    const cases: Array<[Partial<Results>, number]> = [
      [{ memory: run({ rssAtFromBytes: 69 * MiB, rssEndBytes: 70.5 * MiB }) }, 1],
      [{ startup: summarize([290, 310, 320]) }, 2],
      [{ idle: { ...results().idle, cpuMsPerMinute: GOALS.cpuMsPerMinute + 1 } }, 3],
      [{ oneShot: { ...results().oneShot, checkCpuMs: summarize([400]) } }, 4],
      [{ appLayer: { bundleBytes: 20 * MiB, unbundledBytes: 19 * MiB } }, 5],
    ];
    for (const [over, index] of cases) {
      const v = verdicts(results(over));
      assert.equal(v[index], false, `figure ${index}`);
      assert.equal(v.filter((x) => x === false).length, 1, `only figure ${index} missed: ${JSON.stringify(v)}`);
    }
  });

  it('says when the memory figures come from fewer cycles than the goal is stated at', () => {
    const f = figures(results({ mode: 'quick', memory: run({ cycles: 1_000 }) }));
    assert.match(f[0]!.figure, /1000 cycles, not 5000: quick figure/);
  });

  it('renders one table row per figure and one per lever, with the runtime stated', () => {
    const md = renderFigures(results());
    assert.match(md, /Node\.js v24\.22\.3/);
    assert.match(md, /`NODE_OPTIONS=--jitless`/);
    assert.equal(md.split('\n').filter((l) => /\| (met|\*\*missed\*\*|stated) \|$/.test(l)).length, figures(results()).length);
    assert.match(md, /^\| defaults \| v24\.22\.3 \| `\(none\)` \| 5000 \| 110\.0 MiB \| 60\.0 MiB \| \*\*50\.0 MiB\*\* \| 6\.0 ms \|$/m);
  });
});

describe('bench RESULTS.md', () => {
  it('replaces only the block between the markers, keeping the prose around it', () => {
    const before = `# title\nprose\n${BEGIN}\nold table\n${END}\nmore prose\n`;
    assert.equal(spliceFigures(before, 'new table'), `# title\nprose\n${BEGIN}\nnew table\n${END}\nmore prose\n`);
    assert.throws(() => spliceFigures('no markers', 'x'), /lacks the markers/);
  });

  it('the committed RESULTS.md has the markers', () => {
    const md = readFileSync(new URL('../../../bench/RESULTS.md', import.meta.url), 'utf8');
    assert.doesNotThrow(() => spliceFigures(md, 'x'));
  });
});

describe('bench runtime is the image’s', () => {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

  it("reads the Node.js major of the Dockerfile's default base", () => {
    assert.equal(imageNodeMajor(dockerfile), Number(/^ARG NODE_BASE=node:(\d+)/m.exec(dockerfile)![1]));
    assert.equal(imageNodeMajor('ARG NODE_BASE=node:26-bookworm-slim\n'), 26);
    assert.throws(() => imageNodeMajor('FROM scratch\n'), /no `ARG NODE_BASE=node:<major>/);
  });

  it("runs every process with the Dockerfile's NODE_OPTIONS, exactly", () => {
    const line = /^ENV NODE_OPTIONS=(.*)$/m.exec(dockerfile);
    assert.ok(line, 'the Dockerfile sets no NODE_OPTIONS');
    assert.equal(imageNodeOptions(), line[1]!.replace(/^"(.*)"$/, '$1'));
    assert.match(imageNodeOptions(), /^--\S+( --\S+)*$/);
  });
});
