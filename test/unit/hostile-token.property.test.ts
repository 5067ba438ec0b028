/**
 * Hostile token input: decodeToken on any text only ever returns claims or
 * throws TokenDecodeError (never quoting the token), and readTokenFile refuses
 * what is not a small regular file quickly, without reading it whole and
 * without blocking (a FIFO must not wedge the libuv thread pool).
 */
import assert from 'node:assert/strict';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeToken, MAX_TOKEN_BYTES, readTokenFile, TokenDecodeError, TokenFileError } from '../../src/token-file.js';
import { timed as timedWithin } from '../helpers/bounded.js';
import { unsignedToken } from '../helpers/tokens.js';
import { tempDir } from './fixtures.js';

const RUNS = { numRuns: 400 };
/** One call on a noisy 2-core machine; a pathological parse takes far longer. */
const CALL_BUDGET_MS = 1_000;
const timed = <T>(fn: () => T) => timedWithin(fn, CALL_BUDGET_MS);

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** decodeToken's contract: claims with the right shapes, or a TokenDecodeError that quotes none of the input's long segments. */
function assertDecodeContract(text: string): void {
  const { value, error } = timed(() => decodeToken(text));
  if (error !== undefined) {
    assert.ok(error instanceof TokenDecodeError, `threw ${String(error)}`);
    assert.ok(error.message.length < 300, `message of ${error.message.length} characters`);
    for (const segment of text.split('.')) {
      if (segment.length >= 12) assert.ok(!error.message.includes(segment), `message quotes the token: ${error.message}`);
    }
    return;
  }
  const claims = value!;
  assert.ok(Array.isArray(claims.aud) && claims.aud.every((a) => typeof a === 'string'));
  for (const key of ['iss', 'sub', 'alg', 'kid', 'namespace', 'serviceAccount', 'pod'] as const) {
    assert.ok(claims[key] === undefined || typeof claims[key] === 'string', `${key} is ${typeof claims[key]}`);
  }
  for (const key of ['iat', 'nbf', 'exp'] as const) {
    assert.ok(claims[key] === undefined || Number.isFinite(claims[key]), `${key} is ${String(claims[key])}`);
  }
}

/** JSON values including the shapes claims parsers trip on: nested objects, arrays, numbers as strings, nulls. */
const claimValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
  fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 5 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const CLAIM_NAMES = ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'kubernetes.io', 'alg', 'kid', '__proto__', 'constructor'];
const hostileClaims = fc.dictionary(fc.oneof(fc.constantFrom(...CLAIM_NAMES), fc.string({ maxLength: 12 })), claimValue, { maxKeys: 8 });

describe('decodeToken on hostile text', () => {
  test('any text yields claims or a TokenDecodeError, quickly', () => {
    const segment = fc.array(fc.constantFrom(...BASE64URL, '=', '+', '/', ' ', '%', '\u00e9'), { maxLength: 80 }).map((c) => c.join(''));
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 2_000 }),
      fc.array(segment, { minLength: 0, maxLength: 6 }).map((parts) => parts.join('.')),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    );
    fc.assert(fc.property(text, assertDecodeContract), RUNS);
  });

  test('a JWT-shaped token with any JSON header and payload yields claims or a TokenDecodeError', () => {
    const json = fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), hostileClaims.map((c) => JSON.stringify(c)), fc.string({ unit: 'binary', maxLength: 60 }));
    const signature = fc.array(fc.constantFrom(...BASE64URL), { minLength: 16, maxLength: 64 }).map((c) => c.join(''));
    fc.assert(
      fc.property(json, json, signature, (header, payload, sig) => assertDecodeContract(`${b64url(header)}.${b64url(payload)}.${sig}`)),
      RUNS,
    );
  });

  test('claims with hostile types under real claim names yield claims or a TokenDecodeError', () => {
    const header = fc.record({ alg: claimValue, kid: claimValue, typ: claimValue }, { requiredKeys: [] });
    fc.assert(
      fc.property(header, hostileClaims, (h, claims) => assertDecodeContract(unsignedToken(claims, h, 'c2lnbmF0dXJlLWJ5dGVz'))),
      RUNS,
    );
  });

  test('a well-formed projected token decodes to exactly its claims', () => {
    const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    const seconds = fc.integer({ min: 0, max: 4_102_444_800 });
    const claims = fc.record({
      iss: fc.webUrl(),
      namespace: name,
      serviceAccount: name,
      pod: name,
      aud: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 })),
      iat: seconds,
      nbf: seconds,
      exp: seconds,
      kid: fc.string({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(claims, (c) => {
        const payload = { iss: c.iss, sub: `system:serviceaccount:${c.namespace}:${c.serviceAccount}`, aud: c.aud, iat: c.iat, nbf: c.nbf, exp: c.exp, 'kubernetes.io': { namespace: c.namespace, serviceaccount: { name: c.serviceAccount, uid: 'u' }, pod: { name: c.pod, uid: 'p' } } };
        const token = unsignedToken(payload, { alg: 'RS256', kid: c.kid });
        const decoded = decodeToken(token);
        assert.deepEqual(
          { ...decoded, aud: [...decoded.aud] },
          { iss: c.iss, sub: payload.sub, aud: typeof c.aud === 'string' ? [c.aud] : c.aud, iat: c.iat, nbf: c.nbf, exp: c.exp, alg: 'RS256', kid: c.kid, namespace: c.namespace, serviceAccount: c.serviceAccount, pod: c.pod },
        );
      }),
      RUNS,
    );
  });

  test('megabyte-sized inputs are decoded or refused within the budget', () => {
    const huge = [
      'a'.repeat(10 * 1024 * 1024),
      '.'.repeat(1024 * 1024),
      `${b64url('{"alg":"RS256"}')}.${'A'.repeat(4 * 1024 * 1024)}.sig`,
      unsignedToken({ aud: Array.from({ length: 100_000 }, (_, i) => `a${i}`) }, { alg: 'RS256' }, 'sig'),
      `${b64url('[' .repeat(50_000))}.${b64url('{'.repeat(50_000))}.sig`,
    ];
    for (const text of huge) assertDecodeContract(text);
  });
});

describe('readTokenFile on hostile files', () => {
  const dir = tempDir('irsa-hostile-token-');

  /** Resolves with what readTokenFile did, or fails the test when it does not settle within the deadline. */
  async function settle(path: string, deadlineMs = 2_000): Promise<{ text?: string; error?: unknown; ms: number }> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), deadlineMs)));
    const read = readTokenFile(path).then(
      (r) => ({ text: r.text }),
      (error: unknown) => ({ error }),
    );
    const outcome = await Promise.race([read, deadline]);
    clearTimeout(timer);
    if (outcome === 'hung') return { error: new Error(`readTokenFile(${path}) did not settle within ${deadlineMs} ms`), ms: Number.POSITIVE_INFINITY };
    return { ...outcome, ms: performance.now() - started };
  }

  const cases: ReadonlyArray<{ name: string; make: (path: string) => Promise<void>; expect: 'too_large' | 'empty' | 'not_regular' | 'fs-error' | 'ok' }> = [
    { name: 'a 10 MB file', make: async (p) => { await writeFile(p, ''); await truncate(p, 10 * 1024 * 1024); }, expect: 'too_large' },
    { name: 'a 1 GB sparse file', make: async (p) => { await writeFile(p, ''); await truncate(p, 1024 * 1024 * 1024); }, expect: 'too_large' },
    { name: 'one byte past the limit', make: (p) => writeFile(p, 'a'.repeat(MAX_TOKEN_BYTES + 1)), expect: 'too_large' },
    { name: 'exactly the limit', make: (p) => writeFile(p, 'a'.repeat(MAX_TOKEN_BYTES)), expect: 'ok' },
    { name: 'an empty file', make: (p) => writeFile(p, ''), expect: 'empty' },
    { name: 'only whitespace', make: (p) => writeFile(p, ' \n\t\r\n '), expect: 'empty' },
    { name: 'a directory', make: (p) => mkdir(p), expect: 'not_regular' },
    { name: 'a symlink to /dev/zero', make: (p) => symlink('/dev/zero', p), expect: 'not_regular' },
    { name: 'a symlink to /dev/urandom', make: (p) => symlink('/dev/urandom', p), expect: 'not_regular' },
    { name: 'a dangling symlink', make: (p) => symlink(join(dir(), 'nowhere'), p), expect: 'fs-error' },
    { name: 'a symlink loop', make: async (p) => { await symlink(`${p}.b`, p); await symlink(p, `${p}.b`); }, expect: 'fs-error' },
  ];

  for (const [i, c] of cases.entries()) {
    test(`refuses or reads ${c.name} within a second (${c.expect})`, async () => {
      const path = join(dir(), `case-${i}`);
      await c.make(path);
      const outcome = await settle(path);
      assert.ok(outcome.ms < 1_000, `took ${outcome.ms.toFixed(0)} ms`);
      if (c.expect === 'ok') return assert.equal(outcome.text?.length, MAX_TOKEN_BYTES, String(outcome.error));
      if (c.expect === 'fs-error') return assert.ok(typeof (outcome.error as NodeJS.ErrnoException)?.code === 'string', String(outcome.error));
      assert.ok(outcome.error instanceof TokenFileError, `expected TokenFileError(${c.expect}), got ${String(outcome.error)}`);
      assert.equal(outcome.error.code, c.expect);
      if (c.expect === 'too_large') assert.match(outcome.error.message, new RegExp(String(MAX_TOKEN_BYTES)));
    });
  }

  test('a FIFO in place of the token is refused without blocking', async () => {
    const fifo = join(dir(), 'token-fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      const outcome = await settle(fifo);
      assert.ok(outcome.error instanceof TokenFileError && outcome.error.code === 'not_regular', `expected TokenFileError(not_regular) at once, got ${String(outcome.error)} after ${outcome.ms} ms`);
    } finally {
      // A reader blocked in open(2) holds a libuv pool thread (and blocks process exit) until a writer appears: release it.
      try {
        closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
      } catch {
        // no reader was blocked
      }
    }
  });

  test('any file content yields text within the limit or a TokenFileError, and the text decodes or fails typed', async () => {
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 4_096 }),
      fc.string({ unit: 'binary', maxLength: 2_000 }).map((s) => Buffer.from(s)),
      fc.integer({ min: MAX_TOKEN_BYTES - 2, max: MAX_TOKEN_BYTES + 2 }).map((n) => Buffer.alloc(n, 0x41)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        const path = join(dir(), `content-${n++}`);
        await writeFile(path, bytes);
        const outcome = await settle(path);
        await rm(path, { force: true });
        if (outcome.error !== undefined) return assert.ok(outcome.error instanceof TokenFileError, String(outcome.error));
        assert.ok(Buffer.byteLength(outcome.text!) <= MAX_TOKEN_BYTES * 3 && outcome.text!.length > 0);
        assertDecodeContract(outcome.text!);
      }),
      { numRuns: 150 },
    );
  });
});
