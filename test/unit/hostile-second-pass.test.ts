/**
 * Defects found by a second adversarial pass against a built copy: long values
 * printed whole, a newline from a path starting a line of its own, raw claims
 * in /status, an echoed access key id and SigV4 signature, and a dotted
 * "address" that is no IP address looked up as a host name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envCheck } from '../../src/checks/env.js';
import { tokenCheck } from '../../src/checks/token.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/settings.js';
import { scrubText } from '../../src/log.js';
import { renderText } from '../../src/report.js';
import type { CheckResult, Report } from '../../src/types.js';
import { configFrom, contextFor, irsaEnv } from '../helpers/probe.js';
import { unsignedToken } from '../helpers/tokens.js';
import { statusAfter } from './fixtures.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function reportOf(check: CheckResult): Report {
  return { ok: false, startedAt: new Date(0).toISOString(), durationMs: 1, checks: [check], facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' } };
}

describe('long values are cut in messages', () => {
  test('a 100,000-character role ARN gives a cause of at most a few hundred characters', async () => {
    const arn = `arn:aws:iam::111122223333:role/${'9'.repeat(100_000)}`;
    const v = await envCheck(contextFor(irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token', { AWS_ROLE_ARN: arn })));
    assert.equal(v.reason, 'env_invalid');
    assert.ok(v.message.length < 500, `${v.message.length} characters`);
  });

  test("a 14,000-character subject claim is cut in the token check's cause", async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const text = unsignedToken({ iss: 'https://oidc.example/id/X', sub: 'x'.repeat(14_000), aud: 'sts.amazonaws.com', iat: nowS, exp: nowS + 3600 });
    const v = await tokenCheck(contextFor(irsaEnv('/tmp/token'), { deps: { readTokenFile: async () => ({ text, mtimeMs: 0 }) } }));
    assert.equal(v.reason, 'token_malformed');
    assert.ok(v.message.length < 500, `${v.message.length} characters`);
  });
});

describe('a newline or escape from input never starts a line of its own', () => {
  test('a token path with ESC and a newline: the cause is one line in the text report', async () => {
    const path = '/tmp/e\u001b[31mvil\nFAKE';
    const v = await tokenCheck(contextFor(irsaEnv(path), { deps: { readTokenFile: async () => { throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOENT' }); } } }));
    assert.equal(v.status, 'fail');
    assert.doesNotMatch(v.message, /\n/);
    const text = renderText(reportOf({ name: 'token', status: 'fail', reason: v.reason, message: v.message, findings: v.findings ?? [], durationMs: 1 }));
    assert.ok(!text.split('\n').some((l) => l.startsWith('FAKE')), text);
    assert.ok(!text.includes('\u001b'), text);
  });
});

describe('/status shows claims escaped', () => {
  test('ESC, CR/LF, NUL and U+202E in issuer, audience, names and key id are escaped', () => {
    const evil = 'a\u001b[31m\r\n\u0000\u202eb';
    const config = configFrom(irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token'), ['serve']);
    const report: Report = { ...reportOf({ name: 'token', status: 'pass', message: 'ok', findings: [], durationMs: 1 }), ok: true, facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com', claims: { iss: evil, sub: evil, aud: [evil], namespace: evil, serviceAccount: evil, pod: evil, kid: evil, alg: evil, iat: 1, exp: 2 } } };
    const status = statusAfter(report, config);
    for (const value of [status.token?.issuer, status.token?.subject, status.token?.audience[0], status.token?.namespace, status.token?.serviceAccount, status.token?.pod, status.token?.keyId, status.token?.algorithm]) {
      assert.ok(typeof value === 'string' && !CONTROL.test(value), JSON.stringify(value));
    }
  });
});

describe('an echoed request is scrubbed', () => {
  test('the access key id in a SigV4 Credential, the signature and a bare key id are masked', () => {
    const echoed = 'SignatureDoesNotMatch: Authorization=AWS4-HMAC-SHA256 Credential=ASIAHIC5D646IAJSB2QI/20261130/us-west-2/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=9f2c1b0e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c key AKIAIOSFODNN7EXAMPLE';
    const out = scrubText(echoed);
    for (const secret of ['ASIAHIC5D646IAJSB2QI', '9f2c1b0e8d7a6b5c4d3e2f1a0b9c8d7e', 'AKIAIOSFODNN7EXAMPLE']) assert.ok(!out.includes(secret), out);
    assert.match(out, /SignatureDoesNotMatch/);
  });
});

describe('the listen address', () => {
  test('a dotted number that is no IPv4 address is refused, not looked up as a host name', () => {
    assert.throws(() => loadConfig(['serve', '--host', '256.1.1.1'], {}), (e: unknown) => e instanceof ConfigError && /--host/.test((e as Error).message));
    assert.equal(loadConfig(['serve', '--host', '127.0.0.1'], {}).config.host, '127.0.0.1');
    assert.equal(loadConfig(['serve', '--host', 'probe.local'], {}).config.host, 'probe.local');
  });
});
