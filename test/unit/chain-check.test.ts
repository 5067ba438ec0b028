/** The chain check on its own: what the application's SDK default chain resolves to, judged against the pod's role. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChainProvider } from '../../src/chain-provider.js';
import { chainCheck } from '../../src/checks/chain.js';
import type { AwsEnv } from '../../src/config.js';
import { checkSharedFiles } from '../../src/shared-profile.js';
import { ASSUMED_ARN, chainAsRole, contextFor, irsaEnv, NODE_ROLE_ARN, ROLE_ARN } from '../helpers/probe.js';

const identity = (arn: string) => async () => ({ arn, account: '111122223333', userId: 'AROA:x' });
const IRSA = irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token');
const UNMUTATED = { AWS_REGION: 'us-west-2', IRSA_PROBE_EXPECTED_ROLE_ARN: ROLE_ARN, IRSA_PROBE_POD_NAME: 'api-0', IRSA_PROBE_NAMESPACE: 'payments' };

describe('chain check', () => {
  it('passes when the default chain resolves to the pod role', async () => {
    const v = await chainCheck(contextFor(IRSA, { deps: { defaultChain: chainAsRole, getCallerIdentity: identity(ASSUMED_ARN) } }));
    assert.equal(v.status, 'pass');
    assert.match(v.message, /payments-api/);
  });

  it('reports fallback_to_node_role, with the annotate-and-restart fix, when the pod has no identity and the chain finds the node role', async () => {
    const v = await chainCheck(contextFor(UNMUTATED, { deps: { defaultChain: chainAsRole, getCallerIdentity: identity(NODE_ROLE_ARN) } }));
    assert.equal(v.status, 'fail');
    assert.equal(v.reason, 'fallback_to_node_role');
    const fix = v.findings?.at(-1)?.fix ?? '';
    assert.match(fix, /kubectl annotate serviceaccount/);
    assert.match(fix, /eks\.amazonaws\.com\/role-arn/);
    assert.ok(fix.includes(ROLE_ARN), fix);
  });

  it('reports role_mismatch when something earlier in the chain wins over the role', async () => {
    const v = await chainCheck(contextFor(IRSA, { deps: { defaultChain: chainAsRole, getCallerIdentity: identity('arn:aws:iam::111122223333:user/ci') } }));
    assert.equal(v.reason, 'role_mismatch');
    assert.match(v.findings?.at(-1)?.fix ?? '', /AWS_ACCESS_KEY_ID/);
  });

  it('reports chain_error when nothing in an unmutated pod provides credentials', async () => {
    const v = await chainCheck(contextFor(UNMUTATED, { deps: { defaultChain: async () => { throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }); } } }));
    assert.equal(v.reason, 'chain_error');
    assert.match(v.message, /Could not load credentials/);
  });

  it('explains an STS refusal inside the chain with the STS reason', async () => {
    const denied = Object.assign(new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const v = await chainCheck(contextFor(IRSA, { deps: { defaultChain: async () => { throw denied; } } }));
    assert.equal(v.status, 'fail');
    assert.equal(v.reason, 'trust_policy_mismatch');
  });

  it('asks STS who the chain is only when the chain hands out new credentials, and reports each call', async () => {
    const sts: string[] = [];
    let calls = 0;
    const ctx = contextFor(IRSA, { sts, deps: { defaultChain: chainAsRole, getCallerIdentity: async () => (calls++, { arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }) } });
    for (let i = 0; i < 3; i++) assert.equal((await chainCheck(ctx)).status, 'pass');
    assert.equal(calls, 1);
    assert.deepEqual(sts, ['GetCallerIdentity:success']);
    const rotated = contextFor(IRSA, { sts, state: ctx.state, deps: { defaultChain: async () => ({ ...(await chainAsRole()), accessKeyId: 'ASIANEWKEY' }), getCallerIdentity: async () => (calls++, { arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }) } });
    assert.equal((await chainCheck(rotated)).status, 'pass');
    assert.equal(calls, 2);
  });

  // A read blocked on the FIFO never returns: the timeout fails the test then.
  it('refuses to call the SDK chain when a shared AWS file is a FIFO, naming it (chain_error), without blocking', { timeout: 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'irsa-chain-fifo-'));
    try {
      const fifo = join(dir, 'credentials');
      execFileSync('mkfifo', [fifo]);
      const provider = new ChainProvider({ region: 'us-west-2', timeoutMs: 1000, checkSharedFiles: () => checkSharedFiles({ sharedCredentialsFile: fifo, configFile: join(dir, 'none') } as AwsEnv) });
      const v = await chainCheck(contextFor(IRSA, { deps: { defaultChain: (signal) => provider.resolve(signal) } }));
      assert.equal(v.reason, 'chain_error');
      assert.match(v.message, /^the SDK default credential chain was not called: AWS_SHARED_CREDENTIALS_FILE=".*credentials" is not a regular file/);
      assert.equal((provider as unknown as { provider?: unknown }).provider, undefined, 'the SDK chain was created');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
