import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tokenCheck } from '../../src/checks/token.js';
import { MAX_TOKEN_BYTES } from '../../src/token-file.js';
import { contextFor, irsaEnv } from '../helpers/probe.js';
import { mintToken, TokenDir } from '../helpers/tokens.js';

const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;

describe('token check', () => {
  let dir: TokenDir;
  before(async () => {
    dir = await TokenDir.create();
  });
  after(async () => {
    await dir.remove();
  });

  const verdictFor = async (content: string | undefined, env: Record<string, string> = {}) => {
    if (content !== undefined) await dir.write(content);
    return tokenCheck(contextFor(irsaEnv(dir.path, env), { now }));
  };

  test('passes a fresh projected token and keeps its claims, not its text', async () => {
    const token = await mintToken({ nowS: NOW_S - 60 });
    const ctx = contextFor(irsaEnv(dir.path), { now });
    await dir.write(token);
    const v = await tokenCheck(ctx);
    assert.equal(v.status, 'pass', v.message);
    assert.equal(ctx.state.claims?.sub, 'system:serviceaccount:payments:api');
    assert.ok(!JSON.stringify(ctx.state).includes(token), 'the token text is not kept in state');
    assert.ok(!v.message.includes(token));
  });

  const failures: Array<[string, () => Promise<string>, string, RegExp]> = [
    ['an empty file', async () => '', 'token_malformed', /is empty/],
    ['whitespace only', async () => ' \n', 'token_malformed', /is empty/],
    ['text that is not a JWT', async () => 'hello world', 'token_malformed', /three dot-separated/],
    ['a JWT whose payload is not base64url', async () => 'eyJhbGciOiJSUzI1NiJ9.%%%%.c2ln', 'token_malformed', /payload is not valid base64url/],
    ['a JWT whose payload is not JSON', async () => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('not json').toString('base64url')}.c2ln`, 'token_malformed', /payload is not JSON/],
    ['a JWT whose header is not JSON', async () => `${Buffer.from('{').toString('base64url')}.e30.c2ln`, 'token_malformed', /header/],
    ['an expired token', () => mintToken({ iat: NOW_S - 90_000, exp: NOW_S - 3600 }), 'token_expired', /expired 1h ago/],
    ['a token for another audience', () => mintToken({ nowS: NOW_S, aud: 'https://kubernetes.default.svc' }), 'token_audience', /not "sts.amazonaws.com"/],
    ['a token issued in the future', () => mintToken({ iat: NOW_S + 600 }), 'token_malformed', /issued in the future/],
    ['a token whose subject is not a service account', () => mintToken({ nowS: NOW_S, sub: 'admin' }), 'token_malformed', /system:serviceaccount:NAMESPACE:NAME/],
    ['a token kubelet should have rotated', () => mintToken({ iat: NOW_S - 0.95 * 86400, exp: NOW_S + 0.05 * 86400 }), 'token_stale', /rotation is overdue/],
  ];
  for (const [what, content, reason, message] of failures) {
    test(`fails ${what} with ${reason}`, async () => {
      const v = await verdictFor(await content());
      assert.equal(v.status, 'fail');
      assert.equal(v.reason, reason);
      assert.match(v.message, message);
      assert.ok(v.findings?.some((f) => f.reason === reason && f.fix.length > 20), 'a finding with a fix');
    });
  }

  test('accepts a token for the configured audience', async () => {
    const v = await verdictFor(await mintToken({ nowS: NOW_S, aud: ['vault', 'sts.amazonaws.com'] }));
    assert.equal(v.status, 'pass', v.message);
  });

  test('fails a missing file with token_missing and names the mount', async () => {
    const v = await tokenCheck(contextFor(irsaEnv('/nonexistent/serviceaccount/token'), { now }));
    assert.equal(v.reason, 'token_missing');
    assert.match(v.findings?.at(-1)?.fix ?? '', /projected volume/);
  });

  test('fails an unreadable file with token_unreadable and the fsGroup fix', async () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const v = await tokenCheck(contextFor(irsaEnv(dir.path), { now, deps: { readTokenFile: async () => Promise.reject(denied) } }));
    assert.equal(v.reason, 'token_unreadable');
    assert.match(v.findings?.at(-1)?.fix ?? '', /fsGroup/);
  });

  test('refuses a 10 MB file without reading it whole', async () => {
    const v = await verdictFor('x'.repeat(10 * 1024 * 1024));
    assert.equal(v.reason, 'token_malformed');
    assert.match(v.message, new RegExp(`limit ${MAX_TOKEN_BYTES}`));
  });

  test('re-reads the file every cycle and notices an atomic ..data swap', async () => {
    const ctx = contextFor(irsaEnv(dir.path), { now });
    await dir.write(await mintToken({ nowS: NOW_S - 100 }));
    assert.equal((await tokenCheck({ ...ctx, cycle: {} })).status, 'pass');
    const first = ctx.state.tokenFingerprintSeen;
    await dir.write(await mintToken({ nowS: NOW_S - 10 }));
    const second = await tokenCheck({ ...ctx, cycle: {} });
    assert.equal(second.status, 'pass');
    assert.notEqual(ctx.state.tokenFingerprintSeen, first);
    assert.equal(ctx.state.tokenChangedAt, now());
    assert.equal(ctx.state.claims?.iat, NOW_S - 10);
  });
});

describe('token durations', () => {
  test('read naturally at every scale', async () => {
    const { describeDuration } = await import('../../src/duration.js');
    assert.deepEqual([5, 90, 3600, 86399, 86280].map((s) => describeDuration(s * 1000)), ['5s', '1m30s', '1h', '24h', '23h58m']);
  });
});
