import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { IMAGE_NODE_OPTIONS, processEnv } from '../../bench/context.js';

describe('bench measures the probe as the image runs it', () => {
  test("the bench's NODE_OPTIONS are the Dockerfile's", () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const set = /^ENV NODE_OPTIONS=(.+)$/m.exec(dockerfile);
    assert.ok(set, 'the Dockerfile sets no NODE_OPTIONS');
    assert.equal(set[1]!.trim(), IMAGE_NODE_OPTIONS);
  });

  test('every measured process gets them, and the S3 check is off', () => {
    const env = processEnv({ AWS_REGION: 'us-west-2', IRSA_PROBE_S3_BUCKET: 'b' }, '/tmp/h');
    assert.equal(env.NODE_OPTIONS, IMAGE_NODE_OPTIONS);
    assert.equal(env.IRSA_PROBE_S3_BUCKET, undefined);
    assert.equal(env.HOME, '/tmp/h');
  });
});
