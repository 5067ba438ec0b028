/**
 * The Kubernetes view's plumbing against the sandbox's API emulator on
 * loopback: access from a kubeconfig or in-cluster files, reading the pod and
 * its owner chain, RBAC errors, Event aggregation, and the Role of k8s/.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { KubeApiEmulator, PROBE_RULES } from '../../sandbox/kube-api.js';
import { findType } from '../../sandbox/kube-discovery.js';
import { age } from '../../sandbox/kube-table.js';
import { serviceAccount, workload, type PodFacts } from '../../sandbox/kube-objects.js';
import { writeKubeconfig } from '../../sandbox/kube-tls.js';
import { whyOff } from '../../src/checks/k8s.js';
import type { Config } from '../../src/config.js';
import { loadKubeAccess } from '../../src/kube/access.js';
import { eventFor, EventRecorder } from '../../src/kube/events.js';
import { issuerOf, KubeSession } from '../../src/kube/session.js';
import { ISSUER, mintToken } from '../helpers/tokens.js';
import type { Report } from '../../src/types.js';
import { makeTempDir } from './fixtures.js';
import { ROOT } from './k8s-support.js';

const FACTS: PodFacts = { kind: 'irsa', namespace: 'default', podName: 'demo-pod-0', podUid: 'pod-uid', serviceAccount: 'demo', serviceAccountUid: 'sa-uid', deployment: 'demo', roleArn: 'arn:aws:iam::111122223333:role/demo', irsaTokenFile: '/t/eks.amazonaws.com/serviceaccount/token', podIdentityTokenFile: '/t/p', podIdentityUrl: 'http://127.0.0.1:1/v1/credentials', createdAt: new Date('2026-03-01T10:00:00Z') };

let api: KubeApiEmulator;
let dir: string;
let removeDir: () => Promise<void> = async () => undefined;
let kubeconfig: string;
const signal = () => AbortSignal.timeout(5000);

before(async () => {
  const { deployment, replicaSet, pod } = workload(FACTS);
  api = await KubeApiEmulator.start({ namespace: 'default', podUser: 'system:serviceaccount:default:demo', objects: [serviceAccount(FACTS), deployment, replicaSet, pod] });
  // Made here, not by tempDir(): Node 20 does not wait for one top-level before() to finish before the next.
  ({ dir, cleanup: removeDir } = await makeTempDir('kube-session-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { server: api.url, caPem: api.caPem, token: api.podToken, user: 'demo', namespace: 'default' });
});
after(async () => {
  await api.close();
  await removeDir();
});

describe('access', () => {
  it('reads the current context of KUBECONFIG (first of a list): server, CA, token, namespace', async () => {
    const access = await loadKubeAccess({ KUBECONFIG: `${kubeconfig}:/nonexistent` });
    assert.equal(access.server, api.url);
    assert.equal(access.ca, api.caPem);
    assert.equal(access.token, api.podToken);
    assert.equal(access.namespace, 'default');
  });

  it('in-cluster: the token file (re-read per request), ca.crt and namespace; a missing CA names automountServiceAccountToken', async () => {
    await writeFile(join(dir, 'ca.crt'), api.caPem);
    await writeFile(join(dir, 'namespace'), 'payments\n');
    const access = await loadKubeAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir);
    assert.deepEqual({ ...access, ca: access.ca === api.caPem }, { server: 'https://[fd00::1]:6443', ca: true, tokenFile: join(dir, 'token'), namespace: 'payments', source: 'in-cluster' });
    await assert.rejects(loadKubeAccess({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'none')), /automountServiceAccountToken/);
  });

  it("in-cluster, the default service-account token's iss names the cluster issuer; anything else names nothing", async () => {
    await writeFile(join(dir, 'token'), await mintToken());
    assert.equal(await issuerOf(join(dir, 'token')), ISSUER);
    await writeFile(join(dir, 'token'), 'not-a-jwt');
    assert.equal(await issuerOf(join(dir, 'token')), undefined);
  });

  it('says why, in one line, when there is nothing usable', async () => {
    await assert.rejects(loadKubeAccess({}), { name: 'KubeAccessError', message: /not in a cluster: neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set/ });
    await assert.rejects(loadKubeAccess({ KUBECONFIG: join(dir, 'missing') }), /cannot read KUBECONFIG=.*ENOENT/);
    const bad = join(dir, 'plain-http');
    await writeFile(bad, 'current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\n');
    await assert.rejects(loadKubeAccess({ KUBECONFIG: bad }), /must be an https:\/\/ URL/);
    await writeFile(bad, 'current-context: nope\n');
    await assert.rejects(loadKubeAccess({ KUBECONFIG: bad }), /no context named "nope"/);
  });

  it('refuses, at once and naming the file, a kubeconfig, certificate file or in-cluster CA that is a device, a directory or too big', async () => {
    const base = 'current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: {token: t}}]\n';
    const withCa = join(dir, 'ca-device');
    await writeFile(withCa, `${base}clusters: [{name: k, cluster: {server: "https://127.0.0.1:1", certificate-authority: /dev/zero}}]\n`);
    await assert.rejects(loadKubeAccess({ KUBECONFIG: withCa }), { name: 'KubeAccessError', message: /: certificate-authority \/dev\/zero is not a regular file/ });
    await assert.rejects(loadKubeAccess({ KUBECONFIG: dir }), { name: 'KubeAccessError', message: /^KUBECONFIG=.* is not a regular file/ });
    const huge = join(dir, 'huge-kubeconfig');
    await writeFile(huge, Buffer.alloc(4 * 1024 * 1024 + 1, 0x23));
    await assert.rejects(loadKubeAccess({ KUBECONFIG: huge }), { name: 'KubeAccessError', message: /is 4194305 bytes, .*limit 4194304/ });
    const inCluster = join(dir, 'in-cluster-ca-dir');
    await mkdir(join(inCluster, 'ca.crt'), { recursive: true });
    await assert.rejects(loadKubeAccess({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, inCluster), { name: 'KubeAccessError', message: /the service-account CA .*ca\.crt is not a regular file/ });
  });
});

describe('session', () => {
  it('reads the pod, its owner chain up to the Deployment and the ServiceAccount with its annotation time', async () => {
    const session = new KubeSession({ KUBECONFIG: kubeconfig }, { podName: 'demo-pod-0' });
    try {
      const { pod, serviceAccount: sa } = await session.read(signal());
      assert.deepEqual(pod.workload, { kind: 'deployment', name: 'demo' });
      assert.equal(pod.serviceAccount, 'demo');
      assert.deepEqual(pod.tokenVolumes, [{ volume: 'aws-iam-token', audience: 'sts.amazonaws.com', expirationSeconds: 86400, file: FACTS.irsaTokenFile }]);
      assert.equal(pod.containers.every((c) => c.injected && c.roleArn === FACTS.roleArn), true);
      assert.equal(sa.roleArn, FACTS.roleArn);
      assert.equal(sa.annotatedAt, FACTS.createdAt.getTime() - 3_600_000);
    } finally {
      session.close();
    }
  });

  it('reads the ServiceAccount again each cycle, but at most once a second (bounded API load at any interval)', async () => {
    let now = 1_000_000;
    const session = new KubeSession({ KUBECONFIG: kubeconfig }, { podName: 'demo-pod-0' }, undefined, () => now);
    const sa = findType('', 'v1', 'serviceaccounts')!;
    try {
      assert.equal((await session.read(signal())).serviceAccount.roleArn, FACTS.roleArn);
      api.store.patch(sa, 'default', 'demo', { metadata: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/next' } } }, 'test');
      now += 999;
      assert.equal((await session.read(signal())).serviceAccount.roleArn, FACTS.roleArn);
      now += 1;
      assert.equal((await session.read(signal())).serviceAccount.roleArn, 'arn:aws:iam::111122223333:role/next');
    } finally {
      api.store.patch(sa, 'default', 'demo', { metadata: { annotations: { 'eks.amazonaws.com/role-arn': FACTS.roleArn } } }, 'test');
      session.close();
    }
  });

  it('without the Role: 403, and the reason names the RBAC to apply', async () => {
    api.rbac = false;
    const session = new KubeSession({ KUBECONFIG: kubeconfig }, { podName: 'demo-pod-0' });
    try {
      const error = await session.read(signal()).then(() => undefined, (e: unknown) => e);
      assert.equal((error as { status?: number }).status, 403);
      const why = whyOff(error, { config: { podName: 'demo-pod-0' } as Config, signal: new AbortController().signal });
      assert.match(why, /^forbidden \(.*cannot get resource "pods".*\): apply the Role and RoleBinding of k8s\/base\/rbac\.yaml/);
    } finally {
      api.rbac = true;
      session.close();
    }
  });

  it('an unknown pod: the reason names the downward API', async () => {
    const session = new KubeSession({ KUBECONFIG: kubeconfig }, { podName: 'nope' });
    const error = await session.read(signal()).then(() => undefined, (e: unknown) => e);
    session.close();
    assert.match(whyOff(error, { config: { podName: 'nope', namespace: 'default' } as Config, signal: new AbortController().signal }), /pod default\/nope not found: set POD_NAME and POD_NAMESPACE/);
  });
});

describe('events', () => {
  const failing = { ok: false, checks: [{ name: 'sts', status: 'fail', reason: 'trust_policy_mismatch', message: 'denied', durationMs: 1, findings: [{ check: 'sts', severity: 'error', reason: 'trust_policy_mismatch', cause: 'denied', fix: '\nAllow this pod in the trust policy:\n  {...}' }] }] } as unknown as Report;

  it('the message carries the failing check, the reason and the first line of the fix', () => {
    assert.deepEqual(eventFor(false, failing, 'x'), { type: 'Warning', reason: 'IrsaProbeNotReady', message: 'check sts failed: trust_policy_mismatch. Fix: Allow this pod in the trust policy:' });
    assert.deepEqual(eventFor(true, undefined, '1 successful cycle'), { type: 'Normal', reason: 'IrsaProbeReady', message: 'irsa-probe is ready: 1 successful cycle' });
  });

  it('repeats are one Event whose count and lastTimestamp grow; another message is another Event', async () => {
    const session = new KubeSession({ KUBECONFIG: kubeconfig }, { podName: 'demo-pod-0' });
    let now = Date.parse('2026-03-01T11:00:00Z');
    const recorder = new EventRecorder(session, () => now);
    try {
      await session.read(signal());
      const notReady = eventFor(false, failing, 'x');
      for (let i = 0; i < 3; i += 1, now += 60_000) await recorder.record(notReady, signal());
      await recorder.record(eventFor(true, undefined, 'ok'), signal());
      const events = api.store.list(findType('', 'v1', 'events')!, 'default') as unknown as Array<Record<string, unknown>>;
      assert.equal(events.length, 2);
      const warning = events.find((e) => e.reason === 'IrsaProbeNotReady')!;
      assert.equal(warning.count, 3);
      assert.equal(warning.firstTimestamp, '2026-03-01T11:00:00.000Z');
      assert.equal(warning.lastTimestamp, '2026-03-01T11:02:00.000Z');
      assert.deepEqual(warning.involvedObject, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'demo-pod-0', uid: 'pod-uid' });
    } finally {
      session.close();
    }
  });
});

describe('the Role of k8s/base/rbac.yaml', () => {
  it('grants exactly what the view uses (the rules the emulator enforces), in the namespace only', async () => {
    const docs = (await readFile(join(ROOT, 'k8s/base/rbac.yaml'), 'utf8')).split(/^---$/m).map((d) => parse(d) as { kind: string; rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> });
    const role = docs.find((d) => d.kind === 'Role')!;
    const granted = role.rules!.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}:${[...r.verbs].sort().join(',')}`))).sort();
    const used = PROBE_RULES.map((r) => `${r.group}/${r.resource}:${[...r.verbs].sort().join(',')}`).sort();
    assert.deepEqual(granted, used);
    assert.ok(docs.every((d) => d.kind !== 'ClusterRole' && d.kind !== 'ClusterRoleBinding'));
  });
});

describe('server-side printing (what kubectl get shows)', () => {
  it('ages as kubectl abbreviates them', () => {
    const now = Date.parse('2026-03-04T00:00:00Z');
    assert.deepEqual(['2026-03-03T23:59:15Z', '2026-03-03T23:48:00Z', '2026-03-03T19:00:00Z', '2026-03-01T00:00:00Z'].map((t) => age(t, now)), ['45s', '12m', '5h', '3d']);
  });
});
