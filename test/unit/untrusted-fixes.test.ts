/**
 * Untrusted values inside fixes and facts: an ARN from STS, an owner reference
 * from the Kubernetes API, a value for a printed command. A fix keeps its own
 * lines, but no value can add one, and no control or format character reaches
 * the Report raw. Also: what a fix blames when the default chain holds
 * long-term keys STS does not know, and when the Pod Identity agent hangs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chainCheck } from '../../src/checks/chain.js';
import { podView } from '../../src/kube/view.js';
import { renderText } from '../../src/report.js';
import { INVALID_VALUE, shellCommand } from '../../src/shell.js';
import { configSummary } from '../../src/status.js';
import type { Report } from '../../src/types.js';
import { chainAsRole, configFrom, contextFor, irsaEnv, probeFor, ROLE_ARN, SECRET_ACCESS_KEY } from '../helpers/probe.js';

const FORGED_LINE = 'kubectl delete ns kube-system';
const HOSTILE_ARN = `arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc\u001b[2J\n    ${FORGED_LINE}\u202e`;
const UNMUTATED = { AWS_REGION: 'us-west-2', IRSA_PROBE_EXPECTED_ROLE_ARN: ROLE_ARN, IRSA_PROBE_POD_NAME: 'api-0', IRSA_PROBE_NAMESPACE: 'payments' };
const TOKEN_FILE = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

function assertNoForgedLine(report: Report): void {
  const text = renderText(report, { verbose: true });
  assert.ok(!text.split('\n').some((line) => line.trimStart().startsWith(FORGED_LINE)), text);
  for (const check of report.checks) for (const f of check.findings) assert.doesNotMatch(f.fix, RAW, `${check.name} fix`);
  assert.doesNotMatch(JSON.stringify(report), /\u202e/, 'a raw bidi override in the JSON report');
}

describe('shellCommand', () => {
  test('an argument with a newline, ESC, a bidi override or a line separator is printed as (invalid value)', () => {
    for (const bad of ['dep\n$(id)', 'dep\u001b[2J', 'dep\u202e', 'dep\u2028x']) {
      assert.equal(shellCommand('kubectl', 'rollout', 'restart', `deployment/${bad}`), `kubectl rollout restart '${INVALID_VALUE}'`);
    }
  });

  test('any other argument is quoted, not refused', () => {
    assert.equal(shellCommand('kubectl', 'rollout', 'restart', "deployment/dep';touch x;'"), `kubectl rollout restart 'deployment/dep'"'"';touch x;'"'"`);
  });
});

describe('an ARN from STS inside a fix', () => {
  test('the node-role fallback fix names the ARN on its own line and escaped; the facts carry it escaped', async () => {
    const probe = probeFor(UNMUTATED, { defaultChain: chainAsRole, getCallerIdentity: async () => ({ arn: HOSTILE_ARN, account: '111122223333', userId: 'x' }) });
    const report = await probe.run(new AbortController().signal);
    const chain = report.checks.find((c) => c.name === 'chain');
    assert.equal(chain?.reason, 'fallback_to_node_role', JSON.stringify(chain));
    assert.ok(chain!.findings.at(-1)!.fix.includes('\\u202e'), 'the fix shows the value, escaped');
    assertNoForgedLine(report);
    assert.doesNotMatch(report.facts.chainArn ?? '', /[\n\u202e\u001b]/);
  });
});

describe('an ExternalId in a setting that is refused', () => {
  test('the error names the setting and what is wrong, never the ExternalId', () => {
    for (const value of ['arn:aws:iam::444455556666:role/t#ExtId Secret!Value123', 'arn:aws:iam::444455556666:role/bad role#ExtIdSecretValue123', 'arn:aws:iam::444455556666:role/t#ExtIdSecretValue123#x']) {
      assert.throws(() => configFrom(irsaEnv(TOKEN_FILE, { IRSA_PROBE_ASSUME_ROLES: value })), (error: Error) => {
        assert.match(error.message, /IRSA_PROBE_ASSUME_ROLES=/);
        assert.ok(!/ExtId ?Secret/.test(error.message), error.message);
        return true;
      });
    }
  });
});

describe('/status config summary', () => {
  test('role ARN and token file paths from the environment are shown escaped', () => {
    const config = configFrom(irsaEnv(`/var/run/token\u001b[2J\u202e`, { AWS_ROLE_ARN: `arn:aws:iam::111122223333:role/x\n${FORGED_LINE}\u202e` }));
    const summary = configSummary(config, 'sts.amazonaws.com', 'https://sts.us-west-2.amazonaws.com');
    for (const value of [summary.roleArn, summary.webIdentityTokenFile]) assert.doesNotMatch(value ?? '', /[\n\u001b\u202e]/, String(value));
    assert.match(summary.roleArn ?? '', /\\u000a/);
  });
});

describe('an owner reference from the Kubernetes API', () => {
  const pod = { metadata: { namespace: 'payments', name: 'api-0' }, spec: {} };
  test('a workload name or kind Kubernetes would not allow is (invalid value) in the view', () => {
    const view = podView(pod, { kind: 'deployment', name: "dep';touch /tmp/x;'\n\u202e$(id)" });
    assert.deepEqual(view.workload, { kind: 'deployment', name: INVALID_VALUE });
    assert.equal(podView(pod, { kind: 'Deploy\nment', name: 'api' }).workload.kind, INVALID_VALUE);
  });

  test('a well-formed one is kept', () => {
    assert.deepEqual(podView(pod, { kind: 'statefulset', name: 'db-primary.v2' }).workload, { kind: 'statefulset', name: 'db-primary.v2' });
  });
});

describe('what a fix blames', () => {
  const invalid = Object.assign(new Error('The security token included in the request is invalid.'), { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
  const refused = async (): Promise<never> => {
    throw invalid;
  };
  const TOKEN = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
  const withSession = async () => ({ accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: 'old-session-token' });
  const noFileKeys = async () => undefined;

  test('long-term keys in the chain that STS does not know: role_mismatch naming the keys, not a region problem', async () => {
    const ctx = contextFor(irsaEnv(TOKEN), { deps: { defaultChain: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_ACCESS_KEY }), getCallerIdentity: refused, sharedFileKeys: noFileKeys } });
    const v = await chainCheck(ctx);
    assert.equal(v.reason, 'role_mismatch');
    assert.match(v.message, /long-term access keys/);
    assert.match(v.findings?.at(-1)?.fix ?? '', /AWS_ACCESS_KEY_ID/);
  });

  test('copied temporary keys (with a session token) in the environment or a shared file: role_mismatch naming where they are', async () => {
    const fromEnv = await chainCheck(contextFor(irsaEnv(TOKEN, { AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: 'x' }), { deps: { defaultChain: withSession, getCallerIdentity: refused, sharedFileKeys: noFileKeys } }));
    assert.equal(fromEnv.reason, 'role_mismatch');
    assert.match(fromEnv.message, /from the environment \(AWS_ACCESS_KEY_ID\)/);
    const fromFile = await chainCheck(contextFor(irsaEnv(TOKEN), { deps: { defaultChain: withSession, getCallerIdentity: refused, sharedFileKeys: async () => ({ profile: 'default', file: '/home/app/.aws/credentials' }) } }));
    assert.equal(fromFile.reason, 'role_mismatch');
    assert.match(fromFile.message, /from \/home\/app\/\.aws\/credentials \(profile default\)/);
  });

  test('the same error with role credentials and no static keys anywhere is still a region problem', async () => {
    const ctx = contextFor(irsaEnv(TOKEN), { deps: { defaultChain: chainAsRole, getCallerIdentity: refused, sharedFileKeys: noFileKeys } });
    assert.equal((await chainCheck(ctx)).reason, 'region_mismatch');
  });

  test('a hung Pod Identity agent: the timeout fix names the agent', async () => {
    const env = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value', AWS_REGION: 'us-west-2', IRSA_PROBE_POD_NAME: 'api-0', IRSA_PROBE_TIMEOUT: '50ms' };
    const hang = (_input: unknown, signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const report = await probeFor(env, { podIdentityCredentials: hang, defaultChain: chainAsRole }).run(new AbortController().signal);
    const sts = report.checks.find((c) => c.name === 'sts');
    assert.equal(sts?.reason, 'timeout', JSON.stringify(sts));
    assert.match(sts!.findings[0]!.fix, /eks-pod-identity-agent/);
  });
});
