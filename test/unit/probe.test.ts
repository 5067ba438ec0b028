import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeDeps } from '../../src/checks/context.js';
import { SDK_POINTER } from '../../src/diagnose.js';
import { ASSUMED_ARN, chainAsRole, irsaEnv, NODE_ROLE_ARN, probeFor, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { mintToken, TokenDir } from '../helpers/tokens.js';
import { mintedTokenDir } from './fixtures.js';

const creds = { accessKeyId: 'ASIAROLEKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(Date.now() + 3600_000) };

function fakeAws(over: Partial<ProbeDeps> = {}): Partial<ProbeDeps> {
  return {
    assumeRoleWithWebIdentity: async () => creds,
    getCallerIdentity: async () => ({ arn: ASSUMED_ARN, account: '111122223333', userId: 'AROA:x' }),
    defaultChain: chainAsRole,
    ...over,
  };
}

describe('probe', () => {
  const minted = mintedTokenDir();
  const tokenPath = () => minted().dir.path;

  test('runs env, token, sts, roles, chain and s3 in order and passes a healthy pod', async () => {
    const report = await probeFor(irsaEnv(tokenPath()), fakeAws()).run(new AbortController().signal);
    assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [['env', 'pass'], ['token', 'pass'], ['sts', 'pass'], ['roles', 'skip'], ['chain', 'pass'], ['s3', 'skip'], ['k8s', 'skip']]);
    assert.equal(report.ok, true);
    assert.ok(report.durationMs >= 0);
  });

  test('never calls STS without a usable token', async () => {
    let called = 0;
    const report = await probeFor(irsaEnv('/nonexistent/token'), fakeAws({ assumeRoleWithWebIdentity: async () => (called++, creds) })).run(new AbortController().signal);
    assert.equal(called, 0);
    assert.deepEqual(report.checks.map((c) => c.status), ['pass', 'fail', 'skip', 'skip', 'skip', 'skip', 'skip']);
    assert.equal(report.ok, false);
  });

  test('a pod the webhook did not mutate fails env and reports the fallback to the node role', async () => {
    const env = { AWS_REGION: 'us-west-2', IRSA_PROBE_EXPECTED_ROLE_ARN: ROLE_ARN };
    const report = await probeFor(env, fakeAws({ getCallerIdentity: async () => ({ arn: NODE_ROLE_ARN, account: '111122223333', userId: 'AROA:i' }) })).run(new AbortController().signal);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    assert.equal(byName.env?.reason, 'env_missing');
    assert.equal(byName.chain?.reason, 'fallback_to_node_role');
    assert.match(byName.chain?.findings.at(-1)?.fix ?? '', /eks\.amazonaws\.com\/role-arn/);
    assert.ok(byName.chain?.findings.at(-1)?.fix.endsWith(SDK_POINTER), 'the fix points at the application-SDK section');
  });

  test('the chain check fails when static keys win over the role', async () => {
    const report = await probeFor(irsaEnv(tokenPath()), fakeAws({
      getCallerIdentity: async (c) => ({ arn: c.accessKeyId === 'ASIAROLEKEY' ? ASSUMED_ARN : 'arn:aws:iam::111122223333:user/ci', account: '111122223333', userId: 'u' }),
    })).run(new AbortController().signal);
    const chain = report.checks.find((c) => c.name === 'chain');
    assert.equal(chain?.reason, 'role_mismatch');
  });

  test('the chain is verified with STS only when it hands out new credentials', async () => {
    let calls = 0;
    const probe = probeFor(irsaEnv(tokenPath()), fakeAws({ getCallerIdentity: async () => (calls++, { arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }) }));
    await probe.run(new AbortController().signal);
    await probe.run(new AbortController().signal);
    assert.equal(calls, 2, 'cycle 1: role + chain; cycle 2: none (the role re-assumed with an unchanged identity, the chain with the same credentials)');
  });

  test('a check that hangs fails with timeout within its budget and the cycle still ends', async () => {
    const env = irsaEnv(tokenPath(), { IRSA_PROBE_TIMEOUT: '200ms' });
    const started = Date.now();
    const report = await probeFor(env, fakeAws({ assumeRoleWithWebIdentity: () => new Promise(() => undefined) })).run(new AbortController().signal);
    const sts = report.checks.find((c) => c.name === 'sts');
    assert.equal(sts?.reason, 'timeout');
    assert.ok(Date.now() - started < 2000, 'ended within the timeout');
  });

  test('a check that throws fails instead of crashing the probe', async () => {
    const report = await probeFor(irsaEnv(tokenPath()), fakeAws({ defaultChain: async () => { throw new TypeError('boom'); } })).run(new AbortController().signal);
    const chain = report.checks.find((c) => c.name === 'chain');
    assert.equal(chain?.status, 'fail');
    assert.equal(chain?.reason, 'chain_error');
    assert.ok(chain?.findings.at(-1)?.fix.endsWith(SDK_POINTER), 'the fix points at the application-SDK section');
  });

  test('aborting the cycle ends it promptly', async () => {
    const controller = new AbortController();
    const pending = probeFor(irsaEnv(tokenPath()), fakeAws({ assumeRoleWithWebIdentity: () => new Promise(() => undefined) })).run(controller.signal);
    setTimeout(() => controller.abort(), 20);
    const report = await pending;
    assert.equal(report.checks.find((c) => c.name === 'sts')?.status, 'skip');
  });

  test('both mechanisms set: follows the SDK chain (IRSA) and warns', async () => {
    const env = irsaEnv(tokenPath(), { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token' });
    let podIdentityCalls = 0;
    const report = await probeFor(env, fakeAws({ podIdentityCredentials: async () => (podIdentityCalls++, creds) })).run(new AbortController().signal);
    assert.equal(report.ok, true);
    assert.equal(podIdentityCalls, 0);
    assert.ok(report.checks.flatMap((c) => c.findings).some((f) => f.severity === 'warning' && /both IRSA/.test(f.cause)));
  });

  test('pod identity: credentials from the agent, then GetCallerIdentity', async () => {
    const piDir = await TokenDir.create();
    await piDir.write(await mintToken({ aud: 'pods.eks.amazonaws.com' }));
    try {
      const env = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: piDir.path, AWS_REGION: 'us-west-2', IRSA_PROBE_EXPECTED_ROLE_ARN: ROLE_ARN };
      let agent = 0;
      const report = await probeFor(env, fakeAws({ podIdentityCredentials: async () => (agent++, creds) })).run(new AbortController().signal);
      assert.equal(report.ok, true, JSON.stringify(report.checks));
      assert.equal(agent, 1);
    } finally {
      await piDir.remove();
    }
  });
});

describe('probe over many cycles', () => {
  const minted = mintedTokenDir();

  test('leaves no listeners on the long-lived scheduler signal', async () => {
    const controller = new AbortController();
    const { EventEmitter } = await import('node:events');
    const probe = probeFor(irsaEnv(minted().dir.path), fakeAws());
    for (let i = 0; i < 20; i++) await probe.run(controller.signal);
    assert.equal(EventEmitter.getEventListeners(controller.signal, 'abort').length, 0);
  });
});
