import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { diagnoseSts, errorFacts, scrub, transportReason } from '../../src/diagnose.js';
import { isReason } from '../../src/types.js';
import { SECRET_ACCESS_KEY } from '../helpers/probe.js';
import { mintToken } from '../helpers/tokens.js';

const ctx = { operation: 'AssumeRoleWithWebIdentity', audience: 'sts.amazonaws.com', stsEndpoint: 'https://sts.us-west-2.amazonaws.com' };

describe('diagnose', () => {
  test('scrubs a JWT and a secret key out of quoted messages', async () => {
    const token = await mintToken();
    const text = scrub(`bad token ${token} and key ${SECRET_ACCESS_KEY}.`);
    assert.ok(!text.includes(token));
    assert.ok(!text.includes(SECRET_ACCESS_KEY));
    assert.match(text, /\[redacted-jwt\]/);
  });

  test('any thrown value yields a reason from the fixed set', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), fc.integer({ min: 100, max: 599 }), (thing, name, status) => {
        const error = typeof thing === 'object' && thing !== null ? Object.assign(Object.create(null), thing, { name, $metadata: { httpStatusCode: status } }) : thing;
        const d = diagnoseSts(error, ctx);
        assert.ok(isReason(d.reason), d.reason);
        assert.equal(typeof d.fix, 'string');
      }),
      { numRuns: 300 },
    );
  });

  test('error facts read name, status and the network code of a cause', () => {
    const facts = errorFacts(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' }, $metadata: { httpStatusCode: 502 } }));
    assert.deepEqual(facts, { name: 'Error', message: 'fetch failed', status: 502, code: 'ECONNRESET' });
  });

  // The SDK's NodeHttpHandler renames ECONNRESET, EPIPE and ETIMEDOUT errors TimeoutError.
  const sdkError = (message: string, code?: string) => Object.assign(new Error(message), { name: 'TimeoutError', ...(code === undefined ? {} : { code }) });

  for (const code of ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'EHOSTUNREACH']) {
    test(`${code} named TimeoutError by the SDK is network, not timeout`, () => {
      const d = diagnoseSts(sdkError(`read ${code}`, code), ctx);
      assert.equal(d.reason, 'network');
      assert.doesNotMatch(d.fix, /IRSA_PROBE_TIMEOUT/);
    });
  }

  test('a real timeout stays timeout', () => {
    assert.equal(transportReason(errorFacts(sdkError('@smithy/node-http-handler - the request socket timed out after 5000 ms of inactivity'))), 'timeout');
    assert.equal(transportReason(errorFacts(sdkError('connect ETIMEDOUT 10.0.0.1:443', 'ETIMEDOUT'))), 'timeout');
    assert.equal(transportReason(errorFacts(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))), 'timeout');
  });

  test("drops the SDK's deserialization hint from a quoted message", () => {
    const facts = errorFacts(new Error('Unexpected end of input\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'));
    assert.equal(facts.message, 'Unexpected end of input');
  });
});
