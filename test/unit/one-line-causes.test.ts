/**
 * Untrusted values that reach a check's message, a finding's cause or a
 * target's message (an ARN from GetCallerIdentity, a ServiceAccount
 * annotation) are one line in the Report, whatever check built the verdict:
 * a newline in them never starts a line of the text report.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Check, Credentials } from '../../src/checks/context.js';
import { k8sCheck } from '../../src/checks/k8s.js';
import { rolesCheck } from '../../src/checks/roles.js';
import type { KubeSession, KubeSnapshot } from '../../src/kube/session.js';
import { detectMechanism } from '../../src/mechanism.js';
import { Probe } from '../../src/probe.js';
import { renderText } from '../../src/report.js';
import type { Report } from '../../src/types.js';
import { ASSUMED_ARN, configFrom, irsaEnv, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';

const TARGET = 'arn:aws:iam::444455556666:role/dns-writer';
const FORGED = 'FAKE ERROR sts forged: this line came from input';
const SOURCE: Credentials = { accessKeyId: 'ASIASOURCEKEY0000001', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(Date.now() + 3600_000) };
const unused = async (): Promise<never> => {
  throw new Error('unused');
};

function probeWith(env: Record<string, string>, name: 'roles' | 'k8s', run: Check, extra: { getCallerIdentity?: () => Promise<{ arn: string; account: string; userId: string }>; kube?: KubeSession } = {}): Probe {
  const config = configFrom(env);
  return new Probe({
    config,
    mechanism: detectMechanism(config.aws),
    stsEndpoint: 'https://sts.us-west-2.amazonaws.com',
    checks: [{ name, needs: [], fallbackReason: 'sts_error', run }],
    deps: {
      assumeRoleWithWebIdentity: unused,
      assumeRole: async () => ({ accessKeyId: 'ASIATARGETKEY0000001', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN }),
      getCallerIdentity: extra.getCallerIdentity ?? unused,
      podIdentityCredentials: unused,
      defaultChain: unused,
      s3: unused,
      sharedFileKeys: async () => undefined,
      readTokenFile: unused,
    },
    ...(extra.kube ? { kube: extra.kube } : {}),
  });
}

function assertOneLine(report: Report): void {
  for (const check of report.checks) {
    assert.doesNotMatch(check.message, /\n/, `${check.name} message`);
    for (const t of check.targets ?? []) assert.doesNotMatch(t.message, /\n/, `${check.name} target message`);
    for (const f of check.findings) assert.doesNotMatch(f.cause, /\n/, `${check.name} finding cause`);
  }
  const text = renderText(report);
  assert.ok(!text.split('\n').some((line) => line.trimStart().startsWith('FAKE')), text);
}

describe('untrusted values stay on one line in the Report', () => {
  test('an ARN from GetCallerIdentity with a newline, in the roles check (a verdict built without fail())', async () => {
    const env = irsaEnv('/unused', { IRSA_PROBE_ASSUME_ROLES: TARGET });
    const roles: Check = async (ctx) => {
      ctx.state.credentials = SOURCE;
      return rolesCheck(ctx);
    };
    const evil = `arn:aws:sts::444455556666:assumed-role/dns-writer/irsa-probe-api-0\n${FORGED}`;
    const report = await probeWith(env, 'roles', roles, { getCallerIdentity: async () => ({ arn: evil, account: '444455556666', userId: 'x' }) }).run(new AbortController().signal);
    assert.equal(report.checks[0]?.status, 'fail');
    assert.ok(report.checks[0]?.findings.some((f) => f.cause.includes('FAKE')), 'the finding names the identity');
    assertOneLine(report);
  });

  test('a ServiceAccount role annotation with a newline, in a k8s finding', async () => {
    const snapshot: KubeSnapshot = {
      pod: { namespace: 'payments', name: 'api-0', uid: 'u', serviceAccount: 'api', containers: [{ name: 'app', injected: true, roleArn: ROLE_ARN }], skipContainers: [], tokenVolumes: [], workload: { kind: 'deployment', name: 'api' } },
      serviceAccount: { name: 'api', roleArn: `arn:aws:iam::111122223333:role/other\n${FORGED}` },
    };
    const kube = { configured: true, prefetch: () => undefined, read: async () => snapshot } as unknown as KubeSession;
    const env = irsaEnv('/unused', { IRSA_PROBE_NAMESPACE: 'payments' });
    const report = await probeWith(env, 'k8s', k8sCheck, { kube }).run(new AbortController().signal);
    assert.ok(report.checks[0]?.findings.some((f) => f.reason === 'sa_annotation_drift' && f.cause.includes('FAKE')), JSON.stringify(report.checks[0]));
    assertOneLine(report);
  });

  test('fixes keep their lines', async () => {
    const env = irsaEnv('/unused', { IRSA_PROBE_ASSUME_ROLES: TARGET });
    const roles: Check = async (ctx) => {
      ctx.state.credentials = SOURCE;
      return rolesCheck(ctx);
    };
    const report = await probeWith(env, 'roles', roles, { getCallerIdentity: async () => ({ arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }) }).run(new AbortController().signal);
    assert.equal(report.checks[0]?.status, 'fail', 'the identity is not a session of the target');
    const fix = report.checks[0]?.findings[0]?.fix ?? '';
    assert.ok(fix.length > 0);
    const snapshot: KubeSnapshot = {
      pod: { namespace: 'payments', name: 'api-0', uid: 'u', serviceAccount: 'api', containers: [{ name: 'app', injected: true, roleArn: ROLE_ARN }], skipContainers: [], tokenVolumes: [], workload: { kind: 'deployment', name: 'api' } },
      serviceAccount: { name: 'api', roleArn: 'arn:aws:iam::111122223333:role/other' },
    };
    const kube = { configured: true, prefetch: () => undefined, read: async () => snapshot } as unknown as KubeSession;
    const k8s = await probeWith(irsaEnv('/unused'), 'k8s', k8sCheck, { kube }).run(new AbortController().signal);
    const drift = k8s.checks[0]?.findings.find((f) => f.reason === 'sa_annotation_drift');
    assert.ok(drift && drift.fix.split('\n').length >= 4, JSON.stringify(drift));
  });
});
