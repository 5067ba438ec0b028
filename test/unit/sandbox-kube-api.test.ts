import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { KubeApiEmulator } from '../../sandbox/kube-api.js';
import { serviceAccount, workload, type PodFacts } from '../../sandbox/kube-objects.js';

const FACTS: PodFacts = { kind: 'irsa', namespace: 'default', podName: 'demo-pod-0', podUid: 'pod-uid', serviceAccount: 'demo', serviceAccountUid: 'sa-uid', deployment: 'demo', roleArn: 'arn:aws:iam::111122223333:role/demo', irsaTokenFile: '/t/eks.amazonaws.com/serviceaccount/token', podIdentityTokenFile: '/t/p', podIdentityUrl: 'http://127.0.0.1:1/v1/credentials', createdAt: new Date('2026-03-01T10:00:00Z') };

function start(): Promise<KubeApiEmulator> {
  const { deployment, replicaSet, pod } = workload(FACTS);
  return KubeApiEmulator.start({ namespace: 'default', podUser: 'system:serviceaccount:default:demo', objects: [serviceAccount(FACTS), deployment, replicaSet, pod] });
}

function call(api: KubeApiEmulator, method: string, path: string, body?: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { method, ca: api.caPem, headers: { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/merge-patch+json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('sandbox Kubernetes API emulator', () => {
  let api: KubeApiEmulator;
  before(async () => {
    api = await start();
  });
  after(() => api.close());

  test('a body over 1 MiB is answered 413 RequestEntityTooLarge, not read as JSON', async () => {
    const big = Buffer.from(JSON.stringify({ metadata: { annotations: { a: 'x'.repeat(1024 * 1024 + 1) } } }));
    const r = await call(api, 'PATCH', '/api/v1/namespaces/default/serviceaccounts/demo', big);
    assert.equal(r.status, 413);
    assert.equal(r.json.reason, 'RequestEntityTooLarge');
  });

  test('a body within the limit is still patched', async () => {
    const r = await call(api, 'PATCH', '/api/v1/namespaces/default/serviceaccounts/demo', Buffer.from(JSON.stringify({ metadata: { annotations: { a: 'b' } } })));
    assert.equal(r.status, 200);
    assert.equal((r.json.metadata as { annotations: Record<string, string> }).annotations.a, 'b');
  });

  test('the API server serves no OIDC discovery document (the issuer does)', async () => {
    assert.equal((await call(api, 'GET', '/.well-known/openid-configuration')).status, 404);
  });

  test('API servers of one process share one CA, and each serves with it', async () => {
    const other = await start();
    try {
      assert.equal(other.caPem, api.caPem);
      assert.notEqual(other.url, api.url);
      assert.equal((await call(other, 'GET', '/version')).status, 200);
    } finally {
      await other.close();
    }
  });
});
