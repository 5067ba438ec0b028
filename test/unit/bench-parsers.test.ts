import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContainerFigures } from '../../bench/exp-image.js';
import { liveHeap, topGrowth } from '../../bench/exp-leak.js';
import { importScript, MODULE_ROWS } from '../../bench/exp-modules.js';
import { cpuSeconds, memory, parseStat, parseStatus } from '../../bench/proc.js';
import { sampleValue } from '../../bench/prom.js';
import { parseCli } from '../../bench/run.js';
import { parseEnvFile, stsCountsOf } from '../../bench/sandbox.js';
import { startedPort } from '../../bench/server-process.js';
import { parseTimeOutput } from '../../bench/timed.js';

describe('bench /proc readers', () => {
  const stat = (comm: string): string => `1234 (${comm}) S 1 1234 1234 0 -1 4194560 2310 0 0 0 157 43 0 0 20 0 11 0 99 1183256576 23118 18446744073709551615`;
  for (const comm of ['node', 'MainThread pool', 'a) b (c', ')']) {
    it(`reads utime and stime after a command name like ${JSON.stringify(comm)}`, () => {
      assert.deepEqual(parseStat(stat(comm)), { utime: 157, stime: 43 });
    });
  }

  it('rejects a line that is not /proc/<pid>/stat', () => {
    assert.throws(() => parseStat('no parentheses here'), /not a \/proc\/<pid>\/stat line/);
    assert.throws(() => parseStat('1 (x) S 1 2'), /no utime\/stime/);
  });

  it('reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1183256 kB\nVmHWM:\t   95000 kB\nVmRSS:\t   91000 kB\nThreads:\t11\n';
    assert.deepEqual(parseStatus(text), { rssBytes: 91000 * 1024, hwmBytes: 95000 * 1024 });
    assert.throws(() => parseStatus('Name:\tnode\n'), /no VmRSS/);
  });

  it('measures this very process: CPU grows with work, RSS is plausible', () => {
    const before = cpuSeconds(process.pid);
    const until = Date.now() + 150;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    assert.ok(x > 0);
    assert.ok(cpuSeconds(process.pid) > before, 'CPU seconds did not grow after 150 ms of busy work');
    const m = memory(process.pid);
    assert.ok(m.rssBytes > 10 * 2 ** 20 && m.rssBytes <= m.hwmBytes, JSON.stringify(m));
  });
});

describe('bench GNU time output', () => {
  it('reads user, system, maxrss and exit status', () => {
    assert.deepEqual(parseTimeOutput('bench-time 1.02 0.21 66992 1.25 0\n'), { userSeconds: 1.02, systemSeconds: 0.21, cpuSeconds: 1.23, maxRssBytes: 66992 * 1024, exitCode: 0 });
  });

  it('skips the line GNU time prints for a failed command', () => {
    assert.equal(parseTimeOutput('Command exited with non-zero status 2\nbench-time 0.40 0.05 50000 0.52 2\n').exitCode, 2);
  });

  it('fails loudly when there is no measurement', () => {
    assert.throws(() => parseTimeOutput('Command terminated by signal 9\n'), /GNU time wrote no measurement/);
    assert.throws(() => parseTimeOutput('bench-time ? ? ? ? ?\n'), /not understood/);
  });
});

describe('bench readers of what the processes print', () => {
  const metrics = [
    '# HELP irsa_probe_cycles_total Probe cycles run.',
    '# TYPE irsa_probe_cycles_total counter',
    'irsa_probe_cycles_total 5043',
    'irsa_sts_requests_total{operation="AssumeRoleWithWebIdentity",outcome="success"} 2',
    'irsa_sts_requests_total{operation="GetCallerIdentity",outcome="success"} 5044',
    'irsa_probe_cycles_total_extra 1',
  ].join('\n');
  const samples: Array<{ name: string; labels?: Record<string, string>; expected: number | undefined }> = [
    { name: 'irsa_probe_cycles_total', expected: 5043 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'GetCallerIdentity' }, expected: 5044 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'AssumeRoleWithWebIdentity', outcome: 'success' }, expected: 2 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'PodIdentityAgent' }, expected: undefined },
    { name: 'irsa_probe_cycles', expected: undefined },
  ];
  for (const s of samples) {
    it(`finds ${s.name}${JSON.stringify(s.labels ?? {})} → ${s.expected}`, () => assert.equal(sampleValue(metrics, s.name, s.labels), s.expected));
  }

  it('reads the sandbox env file, skipping comments and blank lines, keeping = in values', () => {
    assert.deepEqual(parseEnvFile('# comment\n\nAWS_REGION=us-west-2\nX=a=b\n'), { AWS_REGION: 'us-west-2', X: 'a=b' });
    assert.throws(() => parseEnvFile('NOEQUALS\n'), /without KEY=/);
  });

  it('counts STS calls per operation and in total from the sandbox stats', () => {
    const stats = { sts: { AssumeRoleWithWebIdentity: { requests: 2 }, GetCallerIdentity: { requests: 7 }, Bogus: { requests: 1 } } };
    assert.deepEqual(stsCountsOf(stats), { assumeRoleWithWebIdentity: 2, getCallerIdentity: 7, total: 10 });
    assert.deepEqual(stsCountsOf({ sts: {} }), { assumeRoleWithWebIdentity: 0, getCallerIdentity: 0, total: 0 });
  });

  const lines: Array<[string, number | undefined]> = [
    ['{"time":"t","level":"info","msg":"started","version":"0.1.0","port":36321}', 36321],
    ['{"msg":"ready"}', undefined],
    ['{"msg":"started","port":"80"}', undefined],
    ['(node:1) Warning: not JSON', undefined],
    ['{broken', undefined],
  ];
  for (const [line, port] of lines) it(`reads the port of ${line.slice(0, 40)} as ${port}`, () => assert.equal(startedPort(line), port));

  it('reads the container figures and rejects a file without sizes', () => {
    const f = parseContainerFigures('{"image":"i","base":"b","nodeVersion":"v24","imageBytes":3,"baseBytes":2,"appLayerBytes":1,"rssBytes":9}', 'then');
    assert.equal(f.appLayerBytes, 1);
    assert.equal(f.rssBytes, 9);
    assert.equal(f.startToReadyMs, undefined);
    assert.throws(() => parseContainerFigures('{"image":"i"}', 'then'), /imageBytes is not a number/);
  });
});

describe('bench command line', () => {
  it('runs the full mode into bench/RESULTS.md by default', () => {
    const cli = parseCli([]);
    assert.ok(cli !== 'help');
    assert.equal(cli.mode, 'full');
    assert.match(cli.out, /bench\/RESULTS\.md$/);
    assert.equal(cli.strict, false);
  });

  it('--quick writes under .tmp so the committed results stay the full run', () => {
    const cli = parseCli(['--quick', '--strict']);
    assert.ok(cli !== 'help');
    assert.equal(cli.mode, 'quick');
    assert.match(cli.out, /\.tmp\/bench\/RESULTS-quick\.md$/);
    assert.equal(cli.strict, true);
  });

  it('--out names the file; unknown flags are refused', () => {
    const cli = parseCli(['--out', '/tmp/x.md']);
    assert.ok(cli !== 'help' && cli.out === '/tmp/x.md');
    assert.throws(() => parseCli(['--fast']), /Unknown option/);
    assert.equal(parseCli(['--help']), 'help');
  });

  it('--render takes a results file and measures nothing', () => {
    const cli = parseCli(['--render', '.tmp/bench/results-full.json']);
    assert.ok(cli !== 'help');
    assert.match(cli.render ?? '', /\.tmp\/bench\/results-full\.json$/);
    assert.equal(cli.outGiven, false);
  });
});

describe('bench module-load rows', () => {
  it('imports each specifier in order, or nothing for the baseline', () => {
    assert.equal(importScript([]), 'await 0');
    assert.equal(importScript(['jose/jwt/decode', 'jose/errors']), 'await import("jose/jwt/decode"); await import("jose/errors");');
  });

  it('starts with the baseline and names every row uniquely', () => {
    assert.deepEqual(MODULE_ROWS[0]?.specifiers, []);
    assert.equal(new Set(MODULE_ROWS.map((r) => r.id)).size, MODULE_ROWS.length);
  });
});

describe('bench heap snapshots', () => {
  const meta = { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'], node_types: [['hidden', 'array', 'string', 'object']] };
  const strings = ['', 'Foo', 'Bar', 'a string'];
  // type 3 = object, 2 = string; names index strings
  const before = { snapshot: { meta }, strings, nodes: [3, 1, 1, 100, 0, 2, 3, 2, 250, 1, 3, 2, 3, 50, 0] };
  const after = { snapshot: { meta }, strings, nodes: [...before.nodes, 3, 1, 4, 100, 0, 3, 1, 5, 100, 0, 2, 3, 6, 10, 0] };

  it('sums self_size over every node and counts them by constructor, strings by type only', () => {
    const census = liveHeap(before);
    assert.equal(census.bytes, 400);
    assert.equal(census.objects, 3);
    assert.deepEqual(census.groups.get('object:Foo'), { count: 1, bytes: 100 });
    assert.deepEqual(census.groups.get('string'), { count: 1, bytes: 250 });
    assert.throws(() => liveHeap({ snapshot: { meta: { node_fields: ['type'] } }, nodes: [1] }), /without self_size/);
  });

  it('names what grew most between two censuses', () => {
    assert.deepEqual(topGrowth(liveHeap(before), liveHeap(after), 2), [
      { group: 'object:Foo', count: 2, bytes: 200 },
      { group: 'string', count: 1, bytes: 10 },
    ]);
  });
});
