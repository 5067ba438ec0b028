import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { World } from '../../sandbox/world.js';
import { worldPerSuite } from '../helpers/world.js';

async function callerArn(world: World, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }): Promise<string> {
  const sts = new STSClient({ region: 'us-west-2', endpoint: world.stsUrl, credentials, maxAttempts: 1 });
  return (await sts.send(new GetCallerIdentityCommand({}))).Arn!;
}

describe('sandbox IMDSv2 emulator', () => {
  let world: World;
  worldPerSuite((w) => (world = w), { world: { scenario: 'not-injected' } });

  const session = async (ttl = '21600'): Promise<Response> => fetch(`${world.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } });
  const get = (path: string, token?: string): Promise<Response> => fetch(`${world.imdsUrl}${path}`, { headers: token ? { 'x-aws-ec2-metadata-token': token } : {} });

  test('metadata without a session token is 401 (IMDSv2 required)', async () => {
    assert.equal((await get('/latest/meta-data/iam/security-credentials/')).status, 401);
    assert.equal((await get('/latest/meta-data/iam/security-credentials/', 'made-up')).status, 401);
  });

  const badTtl: Array<[string, string]> = [
    ['zero', '0'],
    ['above 21600', '21601'],
    ['not a number', 'soon'],
  ];
  for (const [what, ttl] of badTtl) {
    test(`a session TTL that is ${what} is 400`, async () => {
      assert.equal((await session(ttl)).status, 400);
    });
  }

  test('GET on the token path is 405', async () => {
    assert.equal((await fetch(`${world.imdsUrl}/latest/api/token`)).status, 405);
  });

  test('with a session token: the role name, then the node role\'s credentials, which STS knows', async () => {
    const token = await (await session()).text();
    const list = await get('/latest/meta-data/iam/security-credentials/', token);
    assert.equal(await list.text(), 'eks-node-role');
    const doc = (await (await get('/latest/meta-data/iam/security-credentials/eks-node-role', token)).json()) as Record<string, string>;
    assert.equal(doc.Code, 'Success');
    assert.equal(doc.Type, 'AWS-HMAC');
    assert.match(doc.AccessKeyId!, /^ASIA/);
    assert.ok(Date.parse(doc.Expiration!) > Date.now() + 3600_000);
    assert.equal(await callerArn(world, { accessKeyId: doc.AccessKeyId!, secretAccessKey: doc.SecretAccessKey!, sessionToken: doc.Token! }), 'arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc1234def567890');
    assert.equal((await get('/latest/meta-data/iam/security-credentials/other-role', token)).status, 404);
    assert.equal(await (await get('/latest/meta-data/instance-id', token)).text(), 'i-0abc1234def567890');
  });
});

describe('sandbox EKS Pod Identity agent emulator', () => {
  let world: World;
  worldPerSuite((w) => (world = w), { world: { scenario: 'pod-identity' } });

  const credentials = (authorization?: string): Promise<Response> => fetch(world.podIdentityUrl, { headers: authorization === undefined ? {} : { authorization } });

  test('the pod identity token gets the role\'s credentials, which STS knows', async () => {
    const res = await credentials(await readFile(world.podIdentityTokenFile, 'utf8'));
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, string>;
    assert.deepEqual(Object.keys(doc).sort(), ['AccessKeyId', 'AccountId', 'Expiration', 'SecretAccessKey', 'Token']);
    assert.equal(doc.AccountId, '111122223333');
    assert.match(await callerArn(world, { accessKeyId: doc.AccessKeyId!, secretAccessKey: doc.SecretAccessKey!, sessionToken: doc.Token! }), /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/eks-sandbox-demo-pod-0-[0-9a-f-]+$/);
  });

  const refused: Array<[string, () => Promise<string | undefined>, number, string]> = [
    ['no Authorization header', async () => undefined, 400, 'InvalidParameterException'],
    ['an empty Authorization header', async () => ' ', 400, 'InvalidParameterException'],
    ['the IRSA token (audience sts.amazonaws.com)', () => readFile(world.tokenFile, 'utf8'), 403, 'InvalidTokenException'],
    ['garbage', async () => 'not-a-token', 403, 'InvalidTokenException'],
    ['an expired token', () => world.mintToken({ audience: 'pods.eks.amazonaws.com', lifetimeSeconds: 60, issuedAt: Math.floor(Date.now() / 1000) - 3600 }), 403, 'ExpiredTokenException'],
  ];
  for (const [what, auth, status, code] of refused) {
    test(`${what} is refused with ${status} ${code} as JSON`, async () => {
      const res = await credentials(await auth());
      assert.equal(res.status, status);
      const body = (await res.json()) as { Code: string; Message: string };
      assert.equal(body.Code, code);
      assert.ok(body.Message.length > 0);
    });
  }

  test('other paths and methods are refused', async () => {
    assert.equal((await fetch(world.podIdentityUrl.replace('/v1/credentials', '/v2/x'))).status, 404);
    assert.equal((await fetch(world.podIdentityUrl, { method: 'POST' })).status, 405);
  });

  test('counts answered and refused requests', async () => {
    world.resetStats();
    await credentials(await readFile(world.podIdentityTokenFile, 'utf8'));
    await credentials();
    assert.deepEqual(world.stats().podIdentity.credentials, { requests: 2, errors: 1, codes: { InvalidParameterException: 1 } });
  });
});
