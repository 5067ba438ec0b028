import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { CredentialStore, type IssuedCredentials } from '../../sandbox/credentials.js';
import { authenticate, parseAmzDate, parseAuthorization, type ReceivedRequest, Sha256 } from '../../sandbox/sigv4.js';


const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const REGION = 'us-west-2';

/** Signs a GetCallerIdentity request the way the SDK does, and returns it as the server receives it. */
async function signed(c: Pick<IssuedCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>, options: { region?: string; date?: Date } = {}): Promise<ReceivedRequest> {
  const signer = new SignatureV4({ credentials: c, region: options.region ?? REGION, service: 'sts', sha256: Sha256 });
  const request = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4566, path: '/', query: {}, headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(BODY.length) }, body: BODY },
    { signingDate: options.date ?? new Date() },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = String(v);
  return { method: 'POST', rawPath: '/', query: {}, headers, body: Buffer.from(BODY) };
}

describe('SigV4 verification against the credential store', () => {
  const store = new CredentialStore();
  const creds = store.issue({ accountId: '111122223333', roleName: 'r', sessionName: 's', issuer: 'sts' }, 3600);
  const verify = (r: ReceivedRequest, now?: number) => authenticate(store, r, { service: 'sts', region: REGION, uriEscapePath: true, verifyPayload: true, now });

  test('a request signed by the SDK signer with the issued credentials passes', async () => {
    const result = await verify(await signed(creds));
    assert.ok(result.ok);
    assert.equal(result.credentials.accessKeyId, creds.accessKeyId);
  });

  const tampered: Array<[string, (r: ReceivedRequest) => ReceivedRequest, string]> = [
    ['a changed body', (r) => ({ ...r, body: Buffer.from(BODY.replace('GetCallerIdentity', 'GetCallerIdentitx')) }), 'bad-signature'],
    ['a changed signed header', (r) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } }), 'bad-signature'],
    ['a changed signature', (r) => ({ ...r, headers: { ...r.headers, authorization: r.headers.authorization!.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`) } }), 'bad-signature'],
    ['no Authorization header', (r) => ({ ...r, headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'authorization')) }), 'missing'],
    ['a garbled Authorization header', (r) => ({ ...r, headers: { ...r.headers, authorization: 'AWS4-HMAC-SHA256 nonsense' } }), 'malformed'],
    ['another session token', (r) => ({ ...r, headers: { ...r.headers, 'x-amz-security-token': 'other' } }), 'bad-session-token'],
  ];
  for (const [what, change, kind] of tampered) {
    test(`${what} is refused (${kind})`, async () => {
      const result = await verify(change(await signed(creds)));
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.kind, kind);
    });
  }

  test('a key the store never issued is refused as unknown', async () => {
    const result = await verify(await signed({ ...creds, accessKeyId: 'ASIAUNKNOWNUNKNOWN00' }));
    assert.equal(!result.ok && result.kind, 'unknown-key');
  });

  test('the right key with the wrong secret does not match', async () => {
    const result = await verify(await signed({ ...creds, secretAccessKey: 'x'.repeat(40) }));
    assert.equal(!result.ok && result.kind, 'bad-signature');
  });

  test('a signature scoped to another region is refused and names the region', async () => {
    const result = await verify(await signed(creds, { region: 'us-east-1' }));
    assert.deepEqual(result, { ok: false, kind: 'wrong-region', region: 'us-east-1' });
  });

  test('a request signed more than 15 minutes ago is refused', async () => {
    const result = await verify(await signed(creds, { date: new Date(Date.now() - 20 * 60_000) }));
    assert.equal(!result.ok && result.kind, 'clock-skew');
  });

  test('expired credentials are refused even with a valid signature', async () => {
    const late = store.issue({ accountId: '111122223333', roleName: 'r', sessionName: 's', issuer: 'sts' }, 1, Date.now() - 5000);
    const expired = await verify(await signed(late));
    assert.equal(!expired.ok && expired.kind, 'expired');
  });

  test('parses the Authorization header and X-Amz-Date', () => {
    const parts = parseAuthorization(`AWS4-HMAC-SHA256 Credential=ASIAX/20261128/us-west-2/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`);
    assert.deepEqual(parts, { accessKeyId: 'ASIAX', date: '20261128', region: 'us-west-2', service: 'sts', signedHeaders: ['host', 'x-amz-date'], signature: 'a'.repeat(64) });
    assert.equal(parseAmzDate('20261128T130000Z')?.toISOString(), '2026-11-28T13:00:00.000Z');
    assert.equal(parseAmzDate('2026-11-28'), undefined);
  });
});
