/**
 * The compiled probe against the sandbox with a role chain configured
 * (IRSA_PROBE_ASSUME_ROLES): `check` proves the second hop, prints the trust
 * statement that repairs a refusing target (applied here through the admin
 * API), and `serve` turns unready within the failure threshold when the
 * target's trust breaks at run time, at the default settings but a short interval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import { CHECK_NAMES } from '../../src/checks/index.js';
import type { Report } from '../../src/types.js';
import { runCli, ServeProcess } from '../helpers/process.js';
import { sampleValue } from '../helpers/prom.js';
import { worldPerSuite } from '../helpers/world.js';
import { FAST, probeArgs } from './faults-harness.js';

const FAILURE_THRESHOLD = FAST.failureThreshold;


/** The first indented JSON object of a fix: the target's trust-policy statement. */
function firstStatement(fix: string): Record<string, unknown> {
  const block = /^ {2}\{$[\s\S]*?^ {2}\}$/m.exec(fix);
  assert.ok(block, `no JSON statement in the fix:\n${fix}`);
  return JSON.parse(block[0]) as Record<string, unknown>;
}

async function admin(world: World, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${world.adminUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('irsa-probe check with a role chain', () => {
  let world: World;
  worldPerSuite((w) => (world = w));
  const chained = (extra: Record<string, string> = {}) => ({ ...world.env, IRSA_PROBE_ASSUME_ROLES: world.targetRoleArn, ...extra });

  test('passes and shows assumed-role/irsa-probe-target/… in account 444455556666', async () => {
    const r = await runCli(['check'], chained(), 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS roles assumed arn:aws:sts::444455556666:assumed-role\/irsa-probe-target\/irsa-probe-demo-pod-0 \(\d+ ms\)$/m);
    // Every check passes, the Kubernetes view (k8s) included: the sandbox's env file carries KUBECONFIG.
    assert.match(r.stdout, new RegExp(`checks: ${CHECK_NAMES.length} ok, 0 failing, 0 skipped`));
  });

  test('target-denied: exits 1 with role_chain_denied; the printed trust statement, applied through the admin API, makes the next check pass', async () => {
    await world.setScenario('target-denied');
    try {
      const denied = await runCli(['check', '--json'], chained(), 60_000);
      assert.equal(denied.code, 1, denied.stdout + denied.stderr);
      const report = JSON.parse(denied.stdout) as Report;
      const roles = report.checks.find((c) => c.name === 'roles');
      assert.equal(roles?.status, 'fail');
      assert.equal(roles?.reason, 'role_chain_denied');
      assert.deepEqual(roles?.targets?.map((t) => [t.target, t.status, t.reason]), [[world.targetRoleArn, 'fail', 'role_chain_denied']]);
      for (const other of ['env', 'token', 'sts', 'chain', 's3']) assert.equal(report.checks.find((c) => c.name === other)?.status, 'pass', other);
      const statement = firstStatement(roles!.findings[0]!.fix);
      assert.deepEqual(statement, { Effect: 'Allow', Principal: { AWS: world.roleArn }, Action: 'sts:AssumeRole' });

      const current = await admin(world, `/trust-policy?role=${encodeURIComponent(world.targetRoleArn)}`);
      const policy = current.json.policy as { Version: string; Statement: unknown[] };
      const applied = await admin(world, '/trust-policy', { role: world.targetRoleArn, policy: { ...policy, Statement: [...policy.Statement, statement] } });
      assert.equal(applied.status, 200, JSON.stringify(applied.json));

      const healed = await runCli(['check'], chained(), 60_000);
      assert.equal(healed.code, 0, healed.stdout + healed.stderr);
      assert.match(healed.stdout, /^PASS roles assumed arn:aws:sts::444455556666:assumed-role\/irsa-probe-target\//m);
    } finally {
      await world.setScenario('healthy');
    }
  });

  test('an ExternalId the trust policy requires: without it role_chain_denied with the condition in the fix, with ARN#ID a pass', async () => {
    const statement = { Effect: 'Allow', Principal: { AWS: world.roleArn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'dns-7f3a' } } };
    assert.equal((await admin(world, '/trust-policy', { role: world.targetRoleArn, policy: { Version: '2012-10-17', Statement: [statement] } })).status, 200);
    try {
      const wrong = await runCli(['check', '--json'], chained({ IRSA_PROBE_ASSUME_ROLES: `${world.targetRoleArn}#dns-0000` }), 60_000);
      assert.equal(wrong.code, 1);
      const roles = (JSON.parse(wrong.stdout) as Report).checks.find((c) => c.name === 'roles')!;
      assert.equal(roles.reason, 'role_chain_denied');
      assert.deepEqual(firstStatement(roles.findings[0]!.fix).Condition, { StringEquals: { 'sts:ExternalId': '<EXTERNAL_ID>' } });
      assert.ok(!wrong.stdout.includes('dns-0000') && !wrong.stderr.includes('dns-0000'), 'the ExternalId value was printed');
      const right = await runCli(['check'], chained({ IRSA_PROBE_ASSUME_ROLES: `${world.targetRoleArn}#dns-7f3a` }), 60_000);
      assert.equal(right.code, 0, right.stdout + right.stderr);
    } finally {
      await world.setScenario('healthy');
    }
  });

  test('a malformed target exits 2 with one line naming the setting, the value and the expected form', async () => {
    const r = await runCli(['check'], chained({ IRSA_PROBE_ASSUME_ROLES: 'arn:aws:iam::4444:role/x' }));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /IRSA_PROBE_ASSUME_ROLES="arn:aws:iam::4444:role\/x" is invalid: expected a comma-separated list .*role ARNs.*the account ID "4444" must be 12 digits/);
  });
});

describe('irsa-probe serve with a role chain broken at run time', () => {
  let world: World;
  let serve: ServeProcess;
  before(async () => {
    world = await startWorld();
    // Default settings but the interval: timeout, thresholds and the rest as a user runs them.
    serve = await ServeProcess.start({ ...world.env, IRSA_PROBE_ASSUME_ROLES: world.targetRoleArn }, probeArgs({ ...FAST, intervalMs: 500 }));
    await serve.waitFor('/readyz', (r) => r.status === 200, 30_000);
  });
  after(async () => {
    await serve?.stop();
    await world?.stop();
  });

  test(`target-denied turns /readyz 503 within ${FAILURE_THRESHOLD} failed cycles with roles=role_chain_denied; healing makes it 200 again`, async () => {
    const metrics = async () => (await serve.get('/metrics')).body;
    const cycles = async () => sampleValue(await metrics(), 'irsa_probe_cycles_total') ?? 0;
    assert.equal(sampleValue(await metrics(), 'irsa_role_target_success', { target: world.targetRoleArn }), 1);
    // Steady state: one AssumeRole per cycle for the one target (the cycle in flight at either end may count or not).
    world.resetStats();
    const from = await cycles();
    await serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_probe_cycles_total') ?? 0) >= from + 6, 30_000);
    const assumes = world.stats().sts.AssumeRole?.requests ?? 0;
    const ran = (await cycles()) - from;
    assert.ok(Math.abs(assumes - ran) <= 1, `${assumes} AssumeRole calls in ${ran} cycles`);
    await world.setScenario('target-denied');
    const brokeAt = await cycles();
    const unready = await serve.waitFor('/readyz', (r) => r.status === 503, 30_000);
    const cyclesToBreak = (await cycles()) - brokeAt;
    // The cycle in flight at the switch may still pass; then the threshold of failed cycles.
    assert.ok(cyclesToBreak <= FAILURE_THRESHOLD + 1, `${cyclesToBreak} cycles to turn unready`);
    assert.match(unready.body, /\[-\]roles failed: role_chain_denied/);
    const text = await metrics();
    assert.equal(sampleValue(text, 'irsa_check_success', { check: 'roles' }), 0);
    assert.equal(sampleValue(text, 'irsa_role_target_success', { target: world.targetRoleArn }), 0);
    assert.ok((sampleValue(text, 'irsa_check_failures_total', { check: 'roles', reason: 'role_chain_denied' }) ?? 0) >= 1);
    assert.ok((sampleValue(text, 'irsa_sts_requests_total', { operation: 'AssumeRole', outcome: 'error' }) ?? 0) >= 1);

    const healedAt = await cycles();
    await world.setScenario('healthy');
    await serve.waitFor('/readyz', (r) => r.status === 200, 30_000);
    assert.ok((await cycles()) - healedAt <= 2);
    assert.equal(sampleValue(await metrics(), 'irsa_role_target_success', { target: world.targetRoleArn }), 1);
  });
});
