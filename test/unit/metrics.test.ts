import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { register as globalRegister } from 'prom-client';
import { CHECK_DURATION_BUCKETS, GENERIC_REASON, METRIC_LABELS, METRIC_NAMES, ProbeMetrics, type ProbeInfo } from '../../src/metrics.js';
import { CHECK_NAMES } from '../../src/checks/index.js';
import { REASONS, type CheckName, type CheckResult, type Report } from '../../src/types.js';

/** DESIGN.md §4, verbatim: name → [type, label names]. */
const CONTRACT: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  irsa_probe_success: ['gauge', []],
  irsa_probe_ready: ['gauge', []],
  irsa_probe_duration_seconds: ['gauge', []],
  irsa_check_success: ['gauge', ['check']],
  irsa_check_duration_seconds: ['histogram', ['check']],
  irsa_check_failures_total: ['counter', ['check', 'reason']],
  irsa_probe_cycles_total: ['counter', []],
  irsa_last_success_timestamp_seconds: ['gauge', []],
  irsa_token_expiry_timestamp_seconds: ['gauge', []],
  irsa_credentials_expiry_timestamp_seconds: ['gauge', []],
  irsa_sts_requests_total: ['counter', ['operation', 'outcome']],
  irsa_role_target_success: ['gauge', ['target']],
  irsa_probe_info: ['gauge', ['mechanism', 'role_arn', 'region', 'sts_endpoint', 'namespace', 'service_account', 'version']],
};

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}
interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

/** Minimal parser for the Prometheus text format as prom-client writes it. */
function parse(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

async function scrape(m: ProbeMetrics): Promise<Exposition> {
  return parse(await m.render());
}

function series(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}

function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return series(e, name).find((s) => JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

function check(name: CheckName, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return { name, status, durationMs: 250, message: `${name} ${status}`, findings: [], ...extra };
}

function report(checks: CheckResult[], extra: Partial<Report> = {}): Report {
  return { ok: checks.every((c) => c.status !== 'fail'), startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1500, checks, facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' }, ...extra };
}

const metrics = (): ProbeMetrics => new ProbeMetrics({ defaultMetrics: false });

describe('metric names and labels', () => {
  it('METRIC_NAMES is exactly the DESIGN.md §4 set', () => {
    assert.deepEqual([...METRIC_NAMES].sort(), Object.keys(CONTRACT).sort());
    assert.deepEqual(Object.keys(METRIC_LABELS).sort(), Object.keys(CONTRACT).filter((n) => CONTRACT[n]![1].length > 0).sort());
  });

  it('exposes every metric with its DESIGN.md type', async () => {
    const e = await scrape(metrics());
    for (const [name, [type]] of Object.entries(CONTRACT)) assert.equal(e.types.get(name), type, name);
    assert.deepEqual([...e.types.keys()].sort(), Object.keys(CONTRACT).sort(), 'no other metric without default metrics');
  });

  it('uses exactly the DESIGN.md label names on every series', async () => {
    const target = 'arn:aws:iam::444455556666:role/t';
    const m = new ProbeMetrics({ defaultMetrics: false, roleTargets: [target] });
    m.setInfo({ mechanism: 'irsa', role_arn: 'arn:aws:iam::111122223333:role/app', region: 'eu-west-1', sts_endpoint: 'https://sts.eu-west-1.amazonaws.com', namespace: 'ns', service_account: 'sa', version: '0.1.0' });
    m.observeReport(report([check('env', 'pass')]));
    m.observeReport(report([check('env', 'pass'), check('sts', 'fail', { reason: 'throttled' })]));
    m.observeReport(report([check('roles', 'pass', { targets: [{ target, status: 'pass', message: 'ok' }] })]));
    m.countStsRequest('GetCallerIdentity', 'success');
    m.setTokenExpiry(1);
    m.setCredentialsExpiry(2);
    const e = await scrape(m);
    for (const s of e.samples) {
      const base = s.name.replace(/_(bucket|sum|count)$/, '');
      const name = CONTRACT[s.name] ? s.name : base;
      const expected = [...CONTRACT[name]![1], ...(s.name.endsWith('_bucket') ? ['le'] : [])].sort();
      assert.deepEqual(Object.keys(s.labels).sort(), expected, s.name);
    }
    for (const name of Object.keys(CONTRACT)) assert.ok(series(e, name).length + series(e, `${name}_count`).length > 0, `${name} has a series`);
  });

  it('lives in its own registry, not prom-client\'s global one, so two instances coexist', async () => {
    const a = metrics();
    const b = metrics();
    a.observeReport(report([check('env', 'pass')]));
    assert.equal(value(await scrape(a), 'irsa_probe_cycles_total'), 1);
    assert.equal(value(await scrape(b), 'irsa_probe_cycles_total'), 0);
    assert.doesNotMatch(await globalRegister.metrics(), /irsa_/);
  });

  it('adds prom-client process metrics unless disabled, with the registry content type', async () => {
    const withDefaults = new ProbeMetrics();
    const text = await withDefaults.render();
    for (const name of ['process_cpu_user_seconds_total', 'process_cpu_seconds_total', 'process_start_time_seconds', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes']) {
      assert.match(text, new RegExp(`^${name} \\d`, 'm'), name);
    }
    assert.match(text, /^nodejs_version_info\{/m);
    // Not the collectors that wake an idle process or work on every GC.
    assert.doesNotMatch(text, /nodejs_eventloop_lag|nodejs_gc_duration_seconds|nodejs_heap_space_size|nodejs_active_handles/);
    assert.doesNotMatch(await metrics().render(), /process_cpu/);
    assert.match(withDefaults.contentType, /^text\/plain; version=0\.0\.4/);
  });
});

describe('initial values', () => {
  it('starts success, ready and cycles at 0 so alerts see series immediately', async () => {
    const e = await scrape(metrics());
    assert.equal(value(e, 'irsa_probe_success'), 0);
    assert.equal(value(e, 'irsa_probe_ready'), 0);
    assert.equal(value(e, 'irsa_probe_cycles_total'), 0);
  });

  it('has no failure, timestamp or expiry series before anything is known', async () => {
    const e = await scrape(metrics());
    for (const name of ['irsa_check_failures_total', 'irsa_last_success_timestamp_seconds', 'irsa_token_expiry_timestamp_seconds', 'irsa_credentials_expiry_timestamp_seconds', 'irsa_check_success', 'irsa_probe_info']) {
      assert.deepEqual(series(e, name), [], name);
    }
  });
});

describe('observeReport', () => {
  it('records a successful cycle: success 1, durations in seconds, last success at the end of the cycle', async () => {
    const m = metrics();
    m.observeReport(report([check('env', 'pass', { durationMs: 7 }), check('sts', 'pass', { durationMs: 1200 })]));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_probe_success'), 1);
    assert.equal(value(e, 'irsa_probe_duration_seconds'), 1.5);
    assert.equal(value(e, 'irsa_probe_cycles_total'), 1);
    assert.equal(value(e, 'irsa_check_success', { check: 'env' }), 1);
    assert.equal(value(e, 'irsa_check_duration_seconds_sum', { check: 'sts' }), 1.2);
    assert.equal(value(e, 'irsa_check_duration_seconds_count', { check: 'env' }), 1);
    assert.equal(value(e, 'irsa_last_success_timestamp_seconds'), Date.parse('2026-01-01T00:00:01.500Z') / 1000);
    assert.deepEqual(series(e, 'irsa_check_failures_total'), []);
  });

  it('records a failed cycle: success 0, check 0, one failure per failed check, last success unchanged', async () => {
    const m = metrics();
    m.observeReport(report([check('env', 'pass')], { startedAt: '2026-01-01T00:00:00.000Z', durationMs: 0 }));
    m.observeReport(report([check('env', 'pass'), check('sts', 'fail', { reason: 'trust_policy_mismatch' })], { startedAt: '2026-01-01T01:00:00.000Z' }));
    m.observeReport(report([check('env', 'pass'), check('sts', 'fail', { reason: 'trust_policy_mismatch' })], { startedAt: '2026-01-01T02:00:00.000Z' }));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_probe_success'), 0);
    assert.equal(value(e, 'irsa_probe_cycles_total'), 3);
    assert.equal(value(e, 'irsa_check_success', { check: 'sts' }), 0);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'sts', reason: 'trust_policy_mismatch' }), 2);
    assert.equal(value(e, 'irsa_last_success_timestamp_seconds'), Date.parse('2026-01-01T00:00:00.000Z') / 1000);
  });

  it('counts an AWS-side STS outage (sts_unavailable) apart from an unclassified STS error (sts_error)', async () => {
    const m = metrics();
    m.observeReport(report([check('env', 'pass'), check('sts', 'fail', { reason: 'sts_unavailable' })]));
    m.observeReport(report([check('env', 'pass'), check('sts', 'fail', { reason: 'sts_error' })]));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'sts', reason: 'sts_unavailable' }), 1);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'sts', reason: 'sts_error' }), 1);
  });

  it('removes a check\'s success series when it is skipped, and records no duration for it', async () => {
    const m = metrics();
    m.observeReport(report([check('s3', 'pass')]));
    assert.equal(value(await scrape(m), 'irsa_check_success', { check: 's3' }), 1);
    m.observeReport(report([check('s3', 'skip')]));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_check_success', { check: 's3' }), undefined);
    assert.equal(value(e, 'irsa_check_duration_seconds_count', { check: 's3' }), 1);
  });

  it('uses histogram buckets from 5 ms to 30 s', async () => {
    const m = metrics();
    m.observeReport(report([check('token', 'pass', { durationMs: 3 })]));
    const les = series(await scrape(m), 'irsa_check_duration_seconds_bucket').map((s) => s.labels.le);
    assert.deepEqual(les, [...CHECK_DURATION_BUCKETS.map(String), '+Inf']);
    assert.equal(CHECK_DURATION_BUCKETS[0], 0.005);
    assert.equal(CHECK_DURATION_BUCKETS.at(-1), 30);
  });

  for (const name of CHECK_NAMES) {
    it(`counts a ${name} failure with a bogus or missing reason under ${GENERIC_REASON[name]}`, async () => {
      const m = metrics();
      m.observeReport(report([check(name, 'fail', { reason: 'Throttling: Rate exceeded for arn:aws:iam::1:role/x' as never })]));
      m.observeReport(report([check(name, 'fail')]));
      const e = await scrape(m);
      assert.deepEqual(series(e, 'irsa_check_failures_total').map((s) => s.labels), [{ check: name, reason: GENERIC_REASON[name] }]);
      assert.equal(value(e, 'irsa_check_failures_total', { check: name, reason: GENERIC_REASON[name] }), 2);
    });
  }

  it('never emits a reason label outside REASONS, whatever the check carries', async () => {
    const m = metrics();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHECK_NAMES), fc.oneof(fc.string(), fc.constantFrom(...REASONS)), async (name, reason) => {
        m.observeReport(report([check(name, 'fail', { reason: reason as never })]));
        for (const s of series(await scrape(m), 'irsa_check_failures_total')) {
          assert.ok((REASONS as readonly string[]).includes(s.labels.reason!), s.labels.reason);
          assert.ok((CHECK_NAMES as readonly string[]).includes(s.labels.check!), s.labels.check);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts roles failures under the role chain reasons', async () => {
    const m = metrics();
    for (const reason of ['role_chain_denied', 'role_chain_external_id', 'role_chain_duration', 'role_chain_denied'] as const) m.observeReport(report([check('roles', 'fail', { reason })]));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'roles', reason: 'role_chain_denied' }), 2);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'roles', reason: 'role_chain_external_id' }), 1);
    assert.equal(value(e, 'irsa_check_failures_total', { check: 'roles', reason: 'role_chain_duration' }), 1);
  });

  it('sets irsa_role_target_success per configured target only, and drops the series when roles is skipped', async () => {
    const [a, b] = ['arn:aws:iam::444455556666:role/a', 'arn:aws:iam::777788889999:role/b'];
    const m = new ProbeMetrics({ defaultMetrics: false, roleTargets: [a, b] });
    const targets = [
      { target: a, status: 'pass' as const, message: 'ok' },
      { target: b, status: 'fail' as const, reason: 'role_chain_denied' as const, message: 'denied' },
      { target: 'arn:aws:iam::111111111111:role/not-configured', status: 'pass' as const, message: 'ok' },
    ];
    m.observeReport(report([check('roles', 'fail', { reason: 'role_chain_denied', targets })]));
    let e = await scrape(m);
    assert.deepEqual(series(e, 'irsa_role_target_success').map((s) => [s.labels.target, s.value]), [[a, 1], [b, 0]]);
    m.observeReport(report([check('roles', 'skip')]));
    e = await scrape(m);
    assert.deepEqual(series(e, 'irsa_role_target_success'), []);
  });

  it('ignores a check whose name is not one of CHECK_NAMES (bounded labels)', async () => {
    const m = metrics();
    m.observeReport(report([check('bogus' as CheckName, 'fail', { reason: 'sts_error' })]));
    const e = await scrape(m);
    assert.deepEqual(series(e, 'irsa_check_failures_total'), []);
    assert.deepEqual(series(e, 'irsa_check_success'), []);
  });
});

describe('setters', () => {
  it('sets readiness to 1 and back to 0', async () => {
    const m = metrics();
    m.setReady(true);
    assert.equal(value(await scrape(m), 'irsa_probe_ready'), 1);
    m.setReady(false);
    assert.equal(value(await scrape(m), 'irsa_probe_ready'), 0);
  });

  const expiries = [
    ['irsa_token_expiry_timestamp_seconds', (m: ProbeMetrics, v: number | undefined) => m.setTokenExpiry(v)],
    ['irsa_credentials_expiry_timestamp_seconds', (m: ProbeMetrics, v: number | undefined) => m.setCredentialsExpiry(v)],
  ] as const;
  for (const [name, set] of expiries) {
    it(`sets ${name} and removes it (no stale number) when undefined`, async () => {
      const m = metrics();
      set(m, 1_767_225_600);
      assert.equal(value(await scrape(m), name), 1_767_225_600);
      set(m, undefined);
      assert.deepEqual(series(await scrape(m), name), []);
      set(m, 1_767_229_200);
      assert.equal(value(await scrape(m), name), 1_767_229_200);
    });
  }

  it('counts STS requests by operation and outcome', async () => {
    const m = metrics();
    m.countStsRequest('AssumeRoleWithWebIdentity', 'success');
    m.countStsRequest('GetCallerIdentity', 'throttled');
    m.countStsRequest('GetCallerIdentity', 'throttled');
    m.countStsRequest('PodIdentityAgent', 'error');
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_sts_requests_total', { operation: 'AssumeRoleWithWebIdentity', outcome: 'success' }), 1);
    assert.equal(value(e, 'irsa_sts_requests_total', { operation: 'GetCallerIdentity', outcome: 'throttled' }), 2);
    assert.equal(value(e, 'irsa_sts_requests_total', { operation: 'PodIdentityAgent', outcome: 'error' }), 1);
    assert.equal(series(e, 'irsa_sts_requests_total').length, 3);
  });

  it('keeps exactly one irsa_probe_info series: the latest label set, value 1', async () => {
    const m = metrics();
    const info: ProbeInfo = { mechanism: 'irsa', role_arn: 'arn:aws:iam::111122223333:role/a', region: 'eu-west-1', sts_endpoint: 'https://sts.eu-west-1.amazonaws.com', namespace: 'ns', service_account: 'sa', version: '0.1.0' };
    m.setInfo(info);
    m.setInfo({ ...info, mechanism: 'pod-identity', role_arn: 'arn:aws:iam::111122223333:role/b' });
    const s = series(await scrape(m), 'irsa_probe_info');
    assert.equal(s.length, 1);
    assert.deepEqual(s[0], { name: 'irsa_probe_info', labels: { ...info, mechanism: 'pod-identity', role_arn: 'arn:aws:iam::111122223333:role/b' }, value: 1 });
  });
});

describe('Kubernetes view reasons', () => {
  it('sa_annotation_drift and webhook_not_applied are in the fixed set, and as k8s warnings they count no failure', async () => {
    for (const reason of ['sa_annotation_drift', 'webhook_not_applied']) assert.ok((REASONS as readonly string[]).includes(reason), reason);
    const m = metrics();
    const drift = { check: 'k8s', severity: 'warning', reason: 'sa_annotation_drift', cause: 'c', fix: 'f' } as const;
    m.observeReport(report([check('env', 'pass'), check('k8s', 'pass', { findings: [drift] })]));
    const e = await scrape(m);
    assert.equal(value(e, 'irsa_probe_success'), 1);
    assert.equal(value(e, 'irsa_check_success', { check: 'k8s' }), 1);
    assert.deepEqual(series(e, 'irsa_check_failures_total').filter((s) => s.value > 0), []);
  });
});
