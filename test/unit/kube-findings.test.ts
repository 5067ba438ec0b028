/** What the Kubernetes view explains: drift, an unmutated pod, the token volume; and real names in fixes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as shellParse } from 'shell-quote';
import { kubeFindings, restartCommand, type PodFacts } from '../../src/kube/findings.js';
import type { PodView, ServiceAccountView } from '../../src/kube/view.js';
import { fillNames } from '../../src/names.js';

const ROLE = 'arn:aws:iam::111122223333:role/payments-api';
const NEW_ROLE = 'arn:aws:iam::111122223333:role/payments-api-v2';
const CREATED = Date.parse('2026-03-01T10:00:00Z');
const PLACEHOLDER = /<[A-Z][A-Z_]*>/;

function pod(extra: Partial<PodView> = {}): PodView {
  return {
    namespace: 'payments',
    name: 'api-7c9d5b8f6-x2x7k',
    uid: 'u-1',
    createdAt: CREATED,
    serviceAccount: 'api',
    containers: [{ name: 'app', injected: false }, { name: 'irsa-probe', injected: false }],
    skipContainers: [],
    tokenVolumes: [],
    workload: { kind: 'deployment', name: 'api' },
    ...extra,
  };
}
const sa = (extra: Partial<ServiceAccountView> = {}): ServiceAccountView => ({ name: 'api', roleArn: ROLE, annotatedAt: CREATED - 3_600_000, ...extra });
const irsa: PodFacts = { mechanism: 'irsa', audience: 'sts.amazonaws.com', roleArn: ROLE, tokenFile: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' };
const none: PodFacts = { mechanism: 'none', audience: 'sts.amazonaws.com' };

describe('sa_annotation_drift', () => {
  it('is a warning naming both roles and the rollout restart of the owning workload', () => {
    const [f, ...rest] = kubeFindings(pod(), sa({ roleArn: NEW_ROLE }), irsa);
    assert.equal(rest.length, 0);
    assert.equal(f?.reason, 'sa_annotation_drift');
    assert.equal(f?.severity, 'warning');
    assert.ok(f!.cause.includes(NEW_ROLE) && f!.cause.includes(ROLE));
    assert.ok(f!.fix.includes('kubectl rollout restart -n payments deployment/api'), f!.fix);
    assert.ok(f!.fix.includes(`kubectl annotate serviceaccount -n payments api eks.amazonaws.com/role-arn=${ROLE} --overwrite`), f!.fix);
  });

  it('also when the annotation was removed; not when it matches, nor for Pod Identity', () => {
    assert.match(kubeFindings(pod(), sa({ roleArn: undefined }), irsa)[0]!.cause, /no longer has the eks.amazonaws.com\/role-arn annotation/);
    assert.deepEqual(kubeFindings(pod(), sa(), irsa), []);
    assert.deepEqual(kubeFindings(pod(), sa({ roleArn: NEW_ROLE }), { mechanism: 'pod-identity', audience: 'pods.eks.amazonaws.com' }), []);
  });

  it('restarts whatever owns the pod: a StatefulSet by rollout, a Job or bare pod by deleting the pod', () => {
    assert.equal(restartCommand(pod({ workload: { kind: 'statefulset', name: 'db' } })), 'kubectl rollout restart -n payments statefulset/db');
    assert.match(restartCommand(pod({ workload: { kind: 'job', name: 'nightly' } })), /^kubectl delete pod -n payments api-7c9d5b8f6-x2x7k .*job nightly/);
    assert.match(restartCommand(pod({ workload: { kind: 'pod', name: 'api-7c9d5b8f6-x2x7k' } })), /re-create it/);
  });

  it('quotes a value a shell would split', () => {
    const fix = kubeFindings(pod(), sa({ roleArn: NEW_ROLE }), { ...irsa, roleArn: "arn:aws:iam::111122223333:role/it's" })[0]!.fix;
    const line = fix.split('\n').find((l) => l.includes('kubectl annotate'))!;
    assert.deepEqual(shellParse(line.trim()), ['kubectl', 'annotate', 'serviceaccount', '-n', 'payments', 'api', "eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/it's", '--overwrite']);
  });
});

describe('webhook_not_applied', () => {
  it('annotated after the pod was created: restart, nothing about the webhook', () => {
    const [f] = kubeFindings(pod(), sa({ annotatedAt: CREATED + 60_000 }), none);
    assert.equal(f?.reason, 'webhook_not_applied');
    assert.match(f!.cause, /at 2026-03-01T10:01:00.000Z, after this pod was created \(2026-03-01T10:00:00.000Z\)/);
    assert.equal(f!.fix, 'Restart the workload so its new pods are mutated:\n  kubectl rollout restart -n payments deployment/api');
  });

  it('annotated before: the webhook did not run; names skip-containers and the containers that were mutated', () => {
    const [f] = kubeFindings(pod({ skipContainers: ['irsa-probe'], containers: [{ name: 'app', injected: true, roleArn: ROLE }, { name: 'irsa-probe', injected: false }] }), sa(), none);
    assert.match(f!.cause, /from before this pod was created/);
    assert.match(f!.cause, /skip-containers annotation lists irsa-probe/);
    assert.match(f!.cause, /Other containers \(app\) were mutated/);
    assert.match(f!.fix, /mutatingwebhookconfiguration pod-identity-webhook/);
    assert.doesNotMatch(f!.fix, PLACEHOLDER);
  });

  it('when managedFields do not tell, says so rather than guess', () => {
    assert.match(kubeFindings(pod(), sa({ annotatedAt: undefined }), none)[0]!.cause, /when it was annotated is not recorded/);
  });

  it('no annotation but an expected role: a pod identity association is expected', () => {
    const [f] = kubeFindings(pod(), sa({ roleArn: undefined, annotatedAt: undefined }), { mechanism: 'none', audience: 'sts.amazonaws.com', expectedRoleArn: ROLE });
    assert.match(f!.cause, /pod identity association/);
    assert.match(f!.fix, /list-pod-identity-associations .*--namespace payments --service-account api/);
  });

  it('nothing when the pod was mutated, or no role is expected at all', () => {
    assert.deepEqual(kubeFindings(pod(), sa(), irsa), []);
    assert.deepEqual(kubeFindings(pod(), sa({ roleArn: undefined }), none), []);
  });
});

describe('token volume', () => {
  const volume = { volume: 'aws-iam-token', audience: 'sts.amazonaws.com', expirationSeconds: 86400, file: irsa.tokenFile! };
  it('token_unreadable with runAsUser and no fsGroup: the patch that sets fsGroup on the workload', () => {
    const [f] = kubeFindings(pod({ tokenVolumes: [volume], containers: [{ name: 'irsa-probe', injected: true, roleArn: ROLE, runAsUser: 1000 }] }), sa(), { ...irsa, tokenProblem: 'token_unreadable' });
    assert.match(f!.cause, /projected volume aws-iam-token \(serviceAccountToken audience sts.amazonaws.com, expirationSeconds 86400/);
    assert.match(f!.cause, /runs as user 1000 \(runAsUser\) without fsGroup/);
    assert.ok(f!.fix.includes(`kubectl patch -n payments deployment/api --type merge -p '{"spec":{"template":{"spec":{"securityContext":{"fsGroup":1000}}}}}'`), f!.fix);
  });

  it('other token problems: the volume and security context as facts; none when the token is fine', () => {
    const [f] = kubeFindings(pod({ tokenVolumes: [volume], fsGroup: 65532, runAsUser: 65532 }), sa(), { ...irsa, tokenProblem: 'token_expired' });
    assert.match(f!.cause, /aws-iam-token .* runAsUser 65532, fsGroup 65532/);
    const other = kubeFindings(pod({ tokenVolumes: [volume], fsGroup: 65532 }), sa(), { ...irsa, audience: 'other.example.com', tokenProblem: 'token_audience' })[0];
    assert.match(other?.fix ?? '', /what the probe expects \(audience other\.example\.com,/, 'the fix names the audience the probe expects, not the volume\'s');
    assert.deepEqual(kubeFindings(pod({ tokenVolumes: [volume] }), sa(), irsa), []);
  });
});

describe('real names in fixes', () => {
  const names = { namespace: 'payments', serviceAccount: 'api', workload: { kind: 'statefulset', name: 'db' }, issuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC123', roleArn: ROLE };
  it('fills every placeholder the probe knows', () => {
    const text = 'kubectl annotate serviceaccount -n <NAMESPACE> <SERVICE_ACCOUNT> x=arn:aws:iam::<ACCOUNT_ID>:role/<ROLE_NAME>\nkubectl rollout restart -n <NAMESPACE> deployment/<DEPLOYMENT>\n<ISSUER_URL> <ISSUER_HOST_AND_PATH> <ROLE_ARN> <CLUSTER>';
    assert.equal(fillNames(text, names), `kubectl annotate serviceaccount -n payments api x=arn:aws:iam::111122223333:role/payments-api\nkubectl rollout restart -n payments statefulset/db\nhttps://oidc.eks.us-west-2.amazonaws.com/id/ABC123 oidc.eks.us-west-2.amazonaws.com/id/ABC123 ${ROLE} <CLUSTER>`);
  });

  it('leaves the placeholder when a value is not of its kind (it could break a command or a policy)', () => {
    const hostile = { namespace: 'x; rm -rf /', serviceAccount: 'A"b', issuerUrl: 'http://evil', roleArn: 'arn:aws:iam::1:role/x', workload: { kind: 'job', name: 'n' } };
    assert.equal(fillNames('<NAMESPACE> <SERVICE_ACCOUNT> <ISSUER_URL> <ACCOUNT_ID> deployment/<DEPLOYMENT>', hostile), '<NAMESPACE> <SERVICE_ACCOUNT> <ISSUER_URL> <ACCOUNT_ID> deployment/<DEPLOYMENT>');
  });
});
