/**
 * The sandbox STS emulator's request parsing under hostile requests, on its
 * real HTTP listener: any method, path, query, content type, headers and body
 * gets an AWS-shaped XML error (or, for a valid call, an answer) within a
 * deadline; it never echoes the web identity token; oversized bodies are
 * refused; and the emulator keeps serving valid calls afterwards.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import type { World } from '../../sandbox/world.js';
import { worldPerSuite } from '../helpers/world.js';

const ANSWER_DEADLINE_MS = 5_000;
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP exchange on a fresh connection, failing when no answer arrives in time. */
function exchange(url: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(body.length) };
    const req = request({ host: target.hostname, port: target.port, method, path, headers: { connection: 'close', ...length, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to ${method} ${path.slice(0, 100)} within ${ANSWER_DEADLINE_MS} ms`));
    }, ANSWER_DEADLINE_MS);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** An STS error document: ErrorResponse/Error/Code (and a request id). */
function errorCode(answer: Answer): string {
  const doc = xml.parse(answer.body) as { ErrorResponse?: { Error?: { Code?: unknown; Message?: unknown } } };
  const code = doc.ErrorResponse?.Error?.Code;
  assert.ok(typeof code === 'string' && code.length > 0, `not an STS error document (HTTP ${answer.status}): ${answer.body.slice(0, 300)}`);
  return code;
}

const PARAM_NAMES = ['Action', 'Version', 'RoleArn', 'RoleSessionName', 'WebIdentityToken', 'DurationSeconds', 'Policy', 'ProviderId', 'action', ''];
const paramValue = fc.oneof(
  fc.constantFrom('AssumeRoleWithWebIdentity', 'GetCallerIdentity', 'AssumeRole', '2011-06-15', '2011-06-16', '', '900', '43201', '-1', '1e3', 'arn:aws:iam::111122223333:role/irsa-probe-demo', 'arn:aws:iam::111122223333:role/', 'x', 'a'.repeat(70), 'not a jwt', 'a.b.c'),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.integer({ min: 1_000, max: 6_000 }).map((n) => 'A'.repeat(n)),
);
const params = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 12 })), paramValue), { maxLength: 8 });
const contentType = fc.constantFrom(undefined, 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/xml', 'multipart/form-data; boundary=x', '', '\u00ff');
const bodyKind = fc.oneof(
  params.map((p) => ({ form: p })),
  fc.uint8Array({ maxLength: 2_048 }).map((bytes) => ({ raw: Buffer.from(bytes) })),
  fc.constant({ none: true as const }),
);
const hostileRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'),
  path: fc.oneof(fc.constant('/'), fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`), fc.constantFrom('//', '/..', '/%00', '/%E0%A4%A', '/?')),
  query: params,
  contentType,
  body: bodyKind,
  authorization: fc.option(fc.oneof(fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), fc.constant('AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-west-2/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64))), { nil: undefined }),
});

function encodeForm(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

describe('sandbox STS request parsing under hostile requests', () => {
  let world: World;
  worldPerSuite((w) => (world = w));

  test('any request gets a client error (4xx) as an AWS-shaped XML document with a request id, within the deadline', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (r) => {
        const query = encodeForm(r.query);
        const path = query === '' ? r.path : `${r.path}${r.path.includes('?') ? '&' : '?'}${query}`;
        const body = 'form' in r.body ? Buffer.from(encodeForm(r.body.form)) : 'raw' in r.body ? r.body.raw : undefined;
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        const answer = await exchange(world.stsUrl, r.method, path, headers, body);
        // Random input carries no valid token or signature: it can never be granted, and with no fault set it is the client's error, never InternalFailure.
        assert.ok(answer.status >= 400 && answer.status < 500, `HTTP ${answer.status} for ${r.method} ${path.slice(0, 80)}: ${answer.body.slice(0, 300)}`);
        // node:http itself refuses request heads over its limit (431) before the emulator sees them.
        if (answer.status === 431 && answer.body === '') return assert.ok(path.length > 8 * 1024, `431 for a ${path.length}-character URL`);
        errorCode(answer);
        assert.ok(typeof answer.headers['x-amzn-requestid'] === 'string', 'no x-amzn-requestid');
      }),
      { numRuns: 250, includeErrorInReport: true },
    );
  });

  test('an error never echoes the web identity token it was sent', async () => {
    const token = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{20,200}$/),
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{8,80}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,400}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,300}$/)).map((p) => p.join('.')),
      fc.constantFrom('eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjEvIiwic3ViIjoieCJ9.c2lnbmF0dXJlLXNlY3JldA'),
    );
    const roleArn = fc.constantFrom('arn:aws:iam::111122223333:role/irsa-probe-demo', 'arn:aws:iam::999999999999:role/other', 'arn:aws:iam::111122223333:role/', 'not-an-arn-but-long-enough');
    await fc.assert(
      fc.asyncProperty(token, roleArn, fc.constantFrom('s', 'irsa-probe', 'bad name!'), async (t, arn, session) => {
        const body = encodeForm([['Action', 'AssumeRoleWithWebIdentity'], ['Version', '2011-06-15'], ['RoleArn', arn], ['RoleSessionName', session], ['WebIdentityToken', t]]);
        const answer = await exchange(world.stsUrl, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(body));
        assert.ok(answer.status >= 400, `HTTP ${answer.status}`);
        errorCode(answer);
        for (const part of [t, ...t.split('.')].filter((p) => p.length >= 8)) assert.ok(!answer.body.includes(part), `the answer echoes the token: ${answer.body.slice(0, 300)}`);
      }),
      { numRuns: 150, includeErrorInReport: true },
    );
  });

  test('oversized bodies are refused with an error, not read into memory or left hanging', async () => {
    for (const size of [64 * 1024 + 1, 1024 * 1024, 20 * 1024 * 1024]) {
      const body = Buffer.alloc(size, 'a');
      const answer = await exchange(world.stsUrl, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, body).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
      // Past its discard limit the emulator may answer and close before the upload ends (a reset is acceptable); it must not hang.
      assert.ok(answer.status >= 400 || /ECONNRESET|EPIPE|socket hang up/.test(answer.body), `${size} bytes: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
      if (answer.status !== 0) assert.equal(errorCode(answer), 'RequestEntityTooLarge');
    }
  });

  test('after all that, a valid AssumeRoleWithWebIdentity still succeeds', async () => {
    const token = await world.mintToken();
    const body = encodeForm([['Action', 'AssumeRoleWithWebIdentity'], ['Version', '2011-06-15'], ['RoleArn', world.roleArn], ['RoleSessionName', 'hostile-test'], ['WebIdentityToken', token]]);
    const answer = await exchange(world.stsUrl, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(body));
    assert.equal(answer.status, 200, answer.body.slice(0, 300));
    const doc = xml.parse(answer.body) as { AssumeRoleWithWebIdentityResponse?: { AssumeRoleWithWebIdentityResult?: { AssumedRoleUser?: { Arn?: string } } } };
    assert.match(doc.AssumeRoleWithWebIdentityResponse?.AssumeRoleWithWebIdentityResult?.AssumedRoleUser?.Arn ?? '', /:assumed-role\/irsa-probe-demo\/hostile-test$/);
  });
});
