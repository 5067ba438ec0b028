/**
 * The real compiled probe against the sandbox: `check --json` for every
 * scenario, and `serve` in the scenarios a running probe lives in (not
 * injected, Pod Identity, token rotation, throttling). Breaking and healing a
 * running `serve` is detection.test.ts's. Expected reasons per scenario are
 * DESIGN.md §3/§5's.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { issuerHostPath } from '../../sandbox/defaults.js';
import { startWorld, type ScenarioName, type World } from '../../sandbox/world.js';
import type { CheckName, Reason, Report } from '../../src/types.js';
import { runCli, ServeProcess } from '../helpers/process.js';
import { sampleValue } from '../helpers/prom.js';
import { FAST, pollFor, probeArgs, sleep, withProbe } from './faults-harness.js';

const CHECKS: CheckName[] = ['env', 'token', 'sts', 'chain', 's3'];


interface Expectation {
  readonly exit: 0 | 1;
  readonly failing: Partial<Record<CheckName, Reason>>;
  readonly passing: readonly CheckName[];
  /** Text the failing check's fix must contain. */
  readonly fix?: (world: World) => { check: CheckName; contains: string[] };
  /** Settings beyond the env file. */
  readonly env?: (world: World) => Record<string, string>;
}

const ALL_PASS: Expectation = { exit: 0, failing: {}, passing: CHECKS };

const EXPECTED: Record<ScenarioName, Expectation> = {
  healthy: ALL_PASS,
  'wrong-subject': {
    exit: 1,
    failing: { sts: 'trust_policy_mismatch' },
    passing: ['env', 'token'],
    // The trust-policy statement that would admit exactly this pod.
    fix: (w) => ({ check: 'sts', contains: [`"Federated": "arn:aws:iam::111122223333:oidc-provider/${issuerHostPath(w.issuerUrl)}"`, `"${issuerHostPath(w.issuerUrl)}:sub": "system:serviceaccount:default:irsa-probe-demo"`, `"${issuerHostPath(w.issuerUrl)}:aud": "sts.amazonaws.com"`, 'StringEquals'] }),
  },
  'wrong-audience': { exit: 1, failing: { sts: 'token_audience' }, passing: ['env', 'token'], fix: () => ({ check: 'sts', contains: ['sts.amazonaws.com'] }) },
  'no-oidc-provider': { exit: 1, failing: { sts: 'oidc_provider_missing' }, passing: ['env', 'token'], fix: (w) => ({ check: 'sts', contains: [w.issuerUrl] }) },
  'bad-thumbprint': { exit: 1, failing: { sts: 'oidc_thumbprint' }, passing: ['env', 'token'], fix: () => ({ check: 'sts', contains: ['thumbprint'] }) },
  'expired-token': { exit: 1, failing: { token: 'token_expired' }, passing: ['env'] },
  'not-injected': { exit: 1, failing: { env: 'env_missing', chain: 'fallback_to_node_role' }, passing: [], fix: () => ({ check: 'chain', contains: ['eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/irsa-probe-demo'] }) },
  throttled: { exit: 1, failing: { sts: 'throttled' }, passing: ['env', 'token'] },
  'sts-down': { exit: 1, failing: { sts: 'sts_unavailable' }, passing: ['env', 'token'] },
  's3-denied': { exit: 1, failing: { s3: 's3_access_denied' }, passing: ['env', 'token', 'sts', 'chain'], fix: () => ({ check: 's3', contains: ['arn:aws:s3:::irsa-probe-demo/irsa-probe/*', 's3:PutObject'] }) },
  'pod-identity': ALL_PASS,
  'role-deleted': { exit: 1, failing: { sts: 'trust_policy_mismatch' }, passing: ['env', 'token'], fix: () => ({ check: 'sts', contains: ['aws iam get-role --role-name irsa-probe-demo'] }) },
  'pod-identity-unassociated': { exit: 1, failing: { sts: 'pod_identity_error' }, passing: ['env', 'token'], fix: () => ({ check: 'sts', contains: ['aws eks list-pod-identity-associations'] }) },
  'pod-identity-agent-down': { exit: 1, failing: { sts: 'network' }, passing: ['env', 'token'] },
  // Only a probe configured with the target role (IRSA_PROBE_ASSUME_ROLES) takes the second hop.
  'target-denied': {
    exit: 1,
    failing: { roles: 'role_chain_denied' },
    passing: CHECKS,
    env: (w) => ({ IRSA_PROBE_ASSUME_ROLES: w.targetRoleArn }),
    fix: (w) => ({ check: 'roles', contains: [`"AWS": "${w.roleArn}"`, '"Action": "sts:AssumeRole"', `"Resource": "${w.targetRoleArn}"`] }),
  },
};

// The groups below share nothing: they run side by side.
describe('sandbox scenarios, end to end', { concurrency: true }, () => {
  describe('irsa-probe check --json against every sandbox scenario', { concurrency: 4 }, () => {
    for (const [scenario, expected] of Object.entries(EXPECTED) as Array<[ScenarioName, Expectation]>) {
      const failing = Object.entries(expected.failing).map(([c, r]) => `${c}=${r}`).join(', ') || 'nothing';
      test(`${scenario}: exits ${expected.exit}, fails ${failing}`, async () => {
        // throttleShare 1: the throttled scenario throttles every call, so one cycle shows it for certain.
        const world = await startWorld({ scenario, throttleShare: 1 });
        try {
          const r = await runCli(['check', '--json'], { ...world.env, ...expected.env?.(world) }, 60_000);
          assert.equal(r.code, expected.exit, r.stdout + r.stderr);
          const report = JSON.parse(r.stdout) as Report;
          const byName = new Map(report.checks.map((c) => [c.name, c]));
          for (const [check, reason] of Object.entries(expected.failing)) {
            assert.equal(byName.get(check as CheckName)?.status, 'fail', `${check}: ${JSON.stringify(byName.get(check as CheckName))}`);
            assert.equal(byName.get(check as CheckName)?.reason, reason);
          }
          for (const check of expected.passing) assert.equal(byName.get(check)?.status, 'pass', `${check}: ${byName.get(check)?.message}`);
          if (expected.fix) {
            const { check, contains } = expected.fix(world);
            const fixes = byName.get(check)!.findings.map((f) => f.fix).join('\n');
            for (const text of contains) assert.ok(fixes.includes(text), `the ${check} fix lacks ${text}:\n${fixes}`);
          }
          assert.equal(report.ok, expected.exit === 0);
        } finally {
          await world.stop();
        }
      });
    }
  });

  interface Probe {
    serve: ServeProcess;
    metrics(): Promise<string>;
    cycles(): Promise<number>;
    readyz(): Promise<{ status: number; body: string }>;
  }

  async function startProbe(world: World, intervalMs = 500): Promise<Probe> {
    const serve = await ServeProcess.start({ ...world.env }, probeArgs({ ...FAST, intervalMs }));
    const metrics = async (): Promise<string> => (await serve.get('/metrics')).body;
    return {
      serve,
      metrics,
      cycles: async () => sampleValue(await metrics(), 'irsa_probe_cycles_total') ?? 0,
      readyz: () => serve.get('/readyz'),
    };
  }

  async function waitReady(probe: Probe, ready: boolean, deadlineMs = 30_000): Promise<{ status: number; body: string }> {
    return probe.serve.waitFor('/readyz', (r) => r.status === (ready ? 200 : 503), deadlineMs);
  }

  describe('irsa-probe serve: mechanisms and rotation', { concurrency: true }, () => {
    test('not-injected: never ready; env_missing and fallback_to_node_role counted', async () => {
      const world = await startWorld({ scenario: 'not-injected' });
      const probe = await startProbe(world);
      try {
        await probe.serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_check_failures_total', { check: 'chain', reason: 'fallback_to_node_role' }) ?? 0) >= 2, 30_000);
        const text = await probe.metrics();
        assert.ok((sampleValue(text, 'irsa_check_failures_total', { check: 'env', reason: 'env_missing' }) ?? 0) >= 2);
        assert.equal(sampleValue(text, 'irsa_probe_ready'), 0);
        assert.equal((await probe.readyz()).status, 503);
        assert.equal(sampleValue(text, 'irsa_probe_info', { mechanism: 'none' }), 1);
        const status = JSON.parse((await probe.serve.get('/status')).body) as { defaultChain: { resolvesTo: string } | null };
        assert.equal(status.defaultChain?.resolvesTo, 'arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc1234def567890');
      } finally {
        await probe.serve.stop();
        await world.stop();
      }
    });

    test('pod-identity: ready, every check passing, mechanism pod-identity', async () => {
      const world = await startWorld({ scenario: 'pod-identity' });
      const probe = await startProbe(world);
      try {
        await waitReady(probe, true);
        const text = await probe.metrics();
        for (const check of CHECKS) assert.equal(sampleValue(text, 'irsa_check_success', { check }), 1, check);
        assert.equal(sampleValue(text, 'irsa_probe_info', { mechanism: 'pod-identity' }), 1);
        assert.ok((world.stats().podIdentity.credentials?.requests ?? 0) >= 1);
      } finally {
        await probe.serve.stop();
        await world.stop();
      }
    });

    test('token rotation while serving causes no failed cycle, and the probe assumes the role with each new token', () =>
      withProbe({ world: { tokenLifetimeSeconds: 6 }, tapping: (w) => w.stsUrl, env: (p) => ({ ...p.world.env, AWS_ENDPOINT_URL_STS: p.tap.url }) }, async ({ world, serve, tap }) => {
        const statuses: number[] = [];
        let polling = true;
        await serve.waitFor('/readyz', (r) => r.status === 200, 30_000);
        const writesBefore = world.stats().tokenWrites;
        const poller = (async () => {
          while (polling) {
            statuses.push((await serve.get('/readyz')).status);
            await sleep(50);
          }
        })();
        try {
          const readToken = async (): Promise<string | undefined> => (await readFile(world.tokenFile, 'utf8').catch(() => undefined))?.trim();
          // An AssumeRoleWithWebIdentity that STS answered 200, made with `token`.
          const assumedWith = (token: string) => tap.calls('AssumeRoleWithWebIdentity').find((e) => e.status === 200 && new URLSearchParams(e.requestBody).get('WebIdentityToken') === token);
          let token = await pollFor('the token file', readToken, 10_000);
          // Two rotations (kubelet's, at 80% of the token's life): each new token must reach STS.
          for (const rotation of [1, 2]) {
            const previous = token;
            token = await pollFor(`rotation ${rotation}`, async () => {
              const now = await readToken();
              return now !== undefined && now !== previous ? now : undefined;
            }, 6_000 * 2, 50);
            await pollFor(`an AssumeRoleWithWebIdentity with the token of rotation ${rotation}`, () => assumedWith(token), 30_000, 50);
          }
          // A few cycles more with the last token.
          const cycles = async () => sampleValue((await serve.get('/metrics')).body, 'irsa_probe_cycles_total') ?? 0;
          const c0 = await cycles();
          await pollFor('two more cycles', async () => ((await cycles()) >= c0 + 2 ? true : undefined), 30_000);
        } finally {
          polling = false;
          await poller;
        }
        assert.ok(world.stats().tokenWrites >= writesBefore + 4, 'both token files rotated twice');
        const text = (await serve.get('/metrics')).body;
        const failures = text.split('\n').filter((l) => l.startsWith('irsa_check_failures_total{') && !/\s0$/.test(l));
        assert.deepEqual(failures, [], 'no check failed');
        assert.ok(statuses.length > 10 && statuses.every((s) => s === 200), `readiness: ${statuses.join(' ')}`);
      }));
  });

  describe('irsa-probe serve under STS throttling', { concurrency: true }, () => {
    test('throttled scenario: throttling shows intermittently as reason throttled, and cycles still succeed', async () => {
      const world = await startWorld();
      const probe = await startProbe(world);
      try {
        await waitReady(probe, true);
        await world.setScenario('throttled');
        const text = (await probe.serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_check_failures_total', { check: 'sts', reason: 'throttled' }) ?? 0) >= 1, 60_000)).body;
        const lastSuccess = sampleValue(text, 'irsa_last_success_timestamp_seconds')!;
        await probe.serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_last_success_timestamp_seconds') ?? 0) > lastSuccess, 60_000);
        assert.ok((world.stats().sts.GetCallerIdentity?.codes.Throttling ?? 0) + (world.stats().sts.AssumeRoleWithWebIdentity?.codes.Throttling ?? 0) >= 1);
        assert.ok((sampleValue(await probe.metrics(), 'irsa_sts_requests_total', { outcome: 'throttled' }) ?? 0) >= 1);
      } finally {
        await probe.serve.stop();
        await world.stop();
      }
    });

    test('throttling for fewer cycles than the failure threshold never makes /readyz 503', async () => {
      const world = await startWorld();
      const probe = await startProbe(world, 1_000);
      const statuses: Array<{ status: number; body: string }> = [];
      let polling = true;
      try {
        await waitReady(probe, true);
        const poller = (async () => {
          while (polling) {
            statuses.push(await probe.readyz());
            await new Promise((r) => setTimeout(r, 50));
          }
        })();
        await world.setFault({ stsThrottleShare: 1 });
        await probe.serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_check_failures_total', { check: 'sts', reason: 'throttled' }) ?? 0) >= 2, 60_000, );
        await world.setFault({ stsThrottleShare: 0 });
        const lastSuccess = sampleValue(await probe.metrics(), 'irsa_last_success_timestamp_seconds')!;
        await probe.serve.waitFor('/metrics', (r) => (sampleValue(r.body, 'irsa_last_success_timestamp_seconds') ?? 0) > lastSuccess, 60_000);
        polling = false;
        await poller;
        const unready = statuses.filter((s) => s.status !== 200);
        assert.deepEqual(unready, [], 'readiness dropped while fewer cycles than the threshold failed');
      } finally {
        polling = false;
        await probe.serve.stop();
        await world.stop();
      }
    });
  });
});
