import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { World } from '../../sandbox/world.js';
import { worldPerSuite } from '../helpers/world.js';

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken: string };

async function roleCredentials(world: World): Promise<Creds> {
  const sts = new STSClient({ region: 'us-west-2', endpoint: world.stsUrl, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
  const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: world.roleArn, RoleSessionName: 's3-test', WebIdentityToken: (await readFile(world.tokenFile, 'utf8')).trim() }));
  return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
}

async function nodeRoleCredentials(world: World): Promise<Creds> {
  const session = await (await fetch(`${world.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
  const doc = (await (await fetch(`${world.imdsUrl}/latest/meta-data/iam/security-credentials/eks-node-role`, { headers: { 'x-aws-ec2-metadata-token': session } })).json()) as Record<string, string>;
  return { accessKeyId: doc.AccessKeyId!, secretAccessKey: doc.SecretAccessKey!, sessionToken: doc.Token! };
}

/** The S3 client as the probe builds it: path-style on an IP endpoint, checksums only when required. */
function s3(world: World, credentials: Creds): S3Client {
  return new S3Client({ region: 'us-west-2', endpoint: world.s3Url, forcePathStyle: true, credentials, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

type S3Error = Error & { $metadata?: { httpStatusCode?: number } };

describe('sandbox S3 (s3rver behind the fault proxy)', () => {
  let world: World;
  let creds: Creds;
  const key = 'irsa-probe/demo-pod-0';
  worldPerSuite((w) => (world = w), { healthyEachTest: true });
  before(async () => {
    creds = await roleCredentials(world);
  });

  test('put, get (byte-equal), head, list and delete with the real @aws-sdk/client-s3', async () => {
    const client = s3(world, creds);
    const body = Buffer.from(`hello from the sandbox ${Date.now()}\n`);
    await client.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: body, ContentType: 'text/plain' }));
    const got = await client.send(new GetObjectCommand({ Bucket: world.bucket, Key: key }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
    assert.equal((await client.send(new HeadObjectCommand({ Bucket: world.bucket, Key: key }))).ContentLength, body.length);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: world.bucket, Prefix: 'irsa-probe/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), [key]);
    await client.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: key }));
    await assert.rejects(client.send(new GetObjectCommand({ Bucket: world.bucket, Key: key })), (e: S3Error) => e.name === 'NoSuchKey');
  });

  test('counts requests per S3 operation', async () => {
    world.resetStats();
    const client = s3(world, creds);
    await client.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: 'x' }));
    await client.send(new GetObjectCommand({ Bucket: world.bucket, Key: key }));
    await client.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: key }));
    const stats = world.stats().s3;
    for (const op of ['PutObject', 'GetObject', 'DeleteObject']) assert.equal(stats[op]?.requests, 1, op);
  });

  const refusals: Array<[string, () => Promise<void>, () => Promise<Creds>, string, number]> = [
    ['the s3-denied scenario', () => world.setScenario('s3-denied'), () => Promise.resolve(creds), 'AccessDenied', 403],
    ['the s3Deny knob', () => world.setFault({ s3Deny: true }), () => Promise.resolve(creds), 'AccessDenied', 403],
    ['the s3NoBucket knob', () => world.setFault({ s3NoBucket: true }), () => Promise.resolve(creds), 'NoSuchBucket', 404],
    ['the s3FlakyShare knob at 1', () => world.setFault({ s3FlakyShare: 1 }), () => Promise.resolve(creds), 'InternalError', 500],
    ['the node role (no access to the bucket)', async () => undefined, () => nodeRoleCredentials(world), 'AccessDenied', 403],
    ['a key no emulator issued', async () => undefined, async () => ({ ...creds, accessKeyId: 'ASIAAAAAAAAAAAAAAAAA' }), 'InvalidAccessKeyId', 403],
    ['the wrong secret', async () => undefined, async () => ({ ...creds, secretAccessKey: 'y'.repeat(40) }), 'SignatureDoesNotMatch', 403],
  ];
  for (const [what, arrange, credentials, code, status] of refusals) {
    test(`${what}: PutObject answers ${status} ${code}`, async () => {
      await arrange();
      const client = s3(world, await credentials());
      await assert.rejects(client.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: 'x' })), (e: S3Error) => {
        assert.equal(e.name, code);
        assert.equal(e.$metadata?.httpStatusCode, status);
        return true;
      });
    });
  }

  test('an unsigned request is refused with 403 AccessDenied XML', async () => {
    const res = await fetch(`${world.s3Url}/${world.bucket}/${key}`);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  });

  test('healing the scenario lets the same client write again', async () => {
    await world.setScenario('s3-denied');
    const client = s3(world, creds);
    await assert.rejects(client.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: 'x' })));
    await world.setScenario('healthy');
    await client.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: 'x' }));
    await client.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: key }));
  });
});
