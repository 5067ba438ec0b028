import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, NoSuchBucket, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { s3Check } from '../../src/checks/s3.js';
import { contextFor, irsaEnv, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';

const s3 = mockClient(S3Client);
const credentials = { accessKeyId: 'ASIAROLEKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN };
const env = irsaEnv('/tmp/token', { IRSA_PROBE_S3_BUCKET: 'team-bucket', IRSA_PROBE_S3_PREFIX: 'probes/' });
const ctx = () => contextFor(env, { state: { stsEndpoint: 'x', credentials } });
const body = (bytes: Uint8Array) => sdkStreamMixin(Readable.from([Buffer.from(bytes)]));

describe('s3 check', () => {
  afterEach(() => s3.reset());

  test('puts one object at <prefix><pod name>, reads it back byte-equal and deletes it', async () => {
    let written: Uint8Array | undefined;
    s3.on(PutObjectCommand).callsFake((input: { Body: Uint8Array }) => void (written = input.Body));
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(written!) }));
    s3.on(DeleteObjectCommand).resolves({});
    const v = await s3Check(ctx());
    assert.equal(v.status, 'pass', v.message);
    const keys = [PutObjectCommand, GetObjectCommand, DeleteObjectCommand].map((c) => s3.commandCalls(c)[0]?.args[0].input.Key);
    assert.deepEqual(keys, ['probes/api-0', 'probes/api-0', 'probes/api-0']);
  });

  test('is skipped when no bucket is configured', async () => {
    const v = await s3Check(contextFor(irsaEnv('/tmp/token'), { state: { stsEndpoint: 'x', credentials } }));
    assert.equal(v.status, 'skip');
  });

  test('fails with s3_mismatch when the object read back differs, and still deletes it', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(Buffer.from('something else')) }));
    s3.on(DeleteObjectCommand).resolves({});
    const v = await s3Check(ctx());
    assert.equal(v.reason, 's3_mismatch');
    assert.equal(s3.commandCalls(DeleteObjectCommand).length, 1);
  });

  const errors: Array<[string, Error, string, RegExp]> = [
    ['access denied', new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }), 's3_access_denied', /"s3:PutObject"[\s\S]*arn:aws:s3:::team-bucket\/probes\/\*/],
    ['a missing bucket', new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } }), 's3_no_bucket', /create-bucket --bucket team-bucket/],
    ['a server error', new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'We encountered an internal error', $metadata: { httpStatusCode: 500 } }), 's3_error', /AWS_ENDPOINT_URL_S3/],
  ];
  // 403s that no policy change fixes: told apart from AccessDenied, never given an IAM policy fix.
  const signing: Array<[string, RegExp]> = [
    ['SignatureDoesNotMatch', /AWS_ENDPOINT_URL_S3[\s\S]*proxy/],
    ['RequestTimeTooSkewed', /time synchronisation/],
    ['InvalidAccessKeyId', /partition/],
    ['ExpiredToken', /assumes the role again/],
  ];
  for (const [name, fix] of signing) {
    errors.push([`403 ${name}`, new S3ServiceException({ name, $fault: 'client', message: `${name} said S3`, $metadata: { httpStatusCode: 403 } }), 's3_error', fix]);
  }
  for (const [what, error, reason, fix] of errors) {
    test(`maps ${what} to ${reason}`, async () => {
      s3.on(PutObjectCommand).rejects(error);
      const v = await s3Check(ctx());
      assert.equal(v.reason, reason);
      assert.match(v.findings?.at(-1)?.fix ?? '', fix);
      if (reason !== 's3_access_denied') assert.doesNotMatch(v.findings?.at(-1)?.fix ?? '', /permissions policy|"Effect"/, 'no IAM policy fix for a failure no policy fixes');
    });
  }
});
