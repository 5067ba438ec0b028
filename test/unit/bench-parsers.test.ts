import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuSeconds, memory, parseStat, parseStatus } from '../../bench/proc.js';
import { parseTimeOutput } from '../../bench/timed.js';
import { sampleValue } from '../helpers/prom.js';
import { parseEnvFile } from '../helpers/sandbox-process.js';

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

describe('readers of what the processes print', () => {
  const metrics = [
    '# HELP irsa_probe_cycles_total Probe cycles run.',
    '# TYPE irsa_probe_cycles_total counter',
    'irsa_probe_cycles_total 5043',
    'irsa_sts_requests_total{operation="AssumeRoleWithWebIdentity",outcome="success"} 2',
    'irsa_sts_requests_total{operation="GetCallerIdentity",outcome="success"} 5044',
    'irsa_probe_cycles_total_extra 1',
    'irsa_probe_info{role_arn="arn:aws:iam::1:role/a}b",version="1"} 1',
  ].join('\n');
  const samples: Array<{ name: string; labels?: Record<string, string>; expected: number | undefined }> = [
    { name: 'irsa_probe_cycles_total', expected: 5043 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'GetCallerIdentity' }, expected: 5044 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'AssumeRoleWithWebIdentity', outcome: 'success' }, expected: 2 },
    { name: 'irsa_sts_requests_total', labels: { operation: 'PodIdentityAgent' }, expected: undefined },
    { name: 'irsa_probe_cycles', expected: undefined },
    { name: 'irsa_probe_info', labels: { version: '1' }, expected: 1 },
  ];
  for (const s of samples) {
    it(`finds ${s.name}${JSON.stringify(s.labels ?? {})} → ${s.expected}`, () => assert.equal(sampleValue(metrics, s.name, s.labels), s.expected));
  }

  it('reads the sandbox env file, skipping comments and blank lines, keeping = in values', () => {
    assert.deepEqual(parseEnvFile('# comment\n\nAWS_REGION=us-west-2\nX=a=b\n'), { AWS_REGION: 'us-west-2', X: 'a=b' });
    assert.throws(() => parseEnvFile('NOEQUALS\n'), /without KEY=/);
  });
});
