import { Sha256 } from '../../sandbox/sigv4.js';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { decodeProtectedHeader } from 'jose';
import { OidcIssuer } from '../../sandbox/issuer.js';
import type { ScenarioName, World } from '../../sandbox/world.js';
import { worldPerSuite } from '../helpers/world.js';
import { connectError } from '../helpers/bounded.js';

const REGION = 'us-west-2';
const parser = new XMLParser();

interface Raw {
  status: number;
  text: string;
  error?: { Type: string; Code: string; Message: string };
  requestId?: string;
}

async function raw(url: string, body: string | undefined, headers: Record<string, string> = {}, method = 'POST'): Promise<Raw> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const text = await res.text();
  const doc = parser.parse(text) as { ErrorResponse?: { Error: Raw['error']; RequestId: string } };
  return { status: res.status, text, error: doc.ErrorResponse?.Error, requestId: doc.ErrorResponse?.RequestId };
}

const form = (p: Record<string, string>): string => new URLSearchParams({ Version: '2011-06-15', ...p }).toString();

async function assumeForm(world: World, extra: Record<string, string> = {}): Promise<string> {
  const token = (await readFile(world.tokenFile, 'utf8')).trim();
  return form({ Action: 'AssumeRoleWithWebIdentity', RoleArn: world.roleArn, RoleSessionName: 'e2e', WebIdentityToken: token, ...extra });
}


function client(world: World, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = REGION): STSClient {
  return new STSClient({ region, endpoint: world.stsUrl, maxAttempts: 1, ...(credentials ? { credentials } : { credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } }) });
}

async function assume(world: World, durationSeconds?: number) {
  const token = (await readFile(world.tokenFile, 'utf8')).trim();
  return client(world).send(new AssumeRoleWithWebIdentityCommand({ RoleArn: world.roleArn, RoleSessionName: 'e2e-session', WebIdentityToken: token, DurationSeconds: durationSeconds }));
}

async function credentialsOf(world: World) {
  const out = await assume(world);
  return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
}

describe('sandbox STS', () => {
  let world: World;
  worldPerSuite((w) => (world = w), { world: { throttleShare: 1 }, healthyEachTest: true });

  test('AssumeRoleWithWebIdentity with the projected token returns role credentials (AWS SDK)', async () => {
    const before = Date.now();
    const out = await assume(world);
    assert.match(out.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(out.Credentials!.SecretAccessKey!.length >= 40);
    assert.ok(out.Credentials!.SessionToken!.length > 100);
    const lifetime = out.Credentials!.Expiration!.getTime() - before;
    assert.ok(lifetime > 3590_000 && lifetime <= 3601_000, `credentials last ${lifetime} ms`);
    assert.equal(out.AssumedRoleUser!.Arn, 'arn:aws:sts::111122223333:assumed-role/irsa-probe-demo/e2e-session');
    assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{17}:e2e-session$/);
    assert.equal(out.SubjectFromWebIdentityToken, 'system:serviceaccount:default:irsa-probe-demo');
    assert.equal(out.Audience, 'sts.amazonaws.com');
    assert.equal(out.Provider, `arn:aws:iam::111122223333:oidc-provider/${world.issuerUrl.replace('http://', '')}`);
  });

  test('GetCallerIdentity with those credentials is the assumed role (SigV4 verified)', async () => {
    const out = await client(world, await credentialsOf(world)).send(new GetCallerIdentityCommand({}));
    assert.equal(out.Arn, 'arn:aws:sts::111122223333:assumed-role/irsa-probe-demo/e2e-session');
    assert.equal(out.Account, '111122223333');
    assert.match(out.UserId!, /^AROA[A-Z2-7]{17}:e2e-session$/);
  });

  test('the raw answer is AWS\'s XML: namespace, Result, whole-second Expiration, RequestId', async () => {
    const res = await fetch(world.stsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: await assumeForm(world) });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA/);
    assert.match(text, /<Expiration>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z<\/Expiration>/);
    assert.match(text, /<\/AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/AssumeRoleWithWebIdentityResponse>$/);
  });

  test('DurationSeconds sets the credentials\' lifetime, up to the role\'s maximum session', async () => {
    const out = await assume(world, 900);
    const lifetime = out.Credentials!.Expiration!.getTime() - Date.now();
    assert.ok(lifetime > 880_000 && lifetime <= 901_000, `${lifetime}`);
    const tooLong = await raw(world.stsUrl, await assumeForm(world, { DurationSeconds: '7200' }));
    assert.equal(tooLong.status, 400);
    assert.deepEqual(tooLong.error, { Type: 'Sender', Code: 'ValidationError', Message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });
  });

  const scenarios: Array<[ScenarioName, number, string, RegExp]> = [
    ['wrong-subject', 403, 'AccessDenied', /^Not authorized to perform sts:AssumeRoleWithWebIdentity$/],
    ['wrong-audience', 400, 'InvalidIdentityToken', /^Incorrect token audience$/],
    ['no-oidc-provider', 400, 'InvalidIdentityToken', /^No OpenIDConnect provider found in your account for http:\/\/127\.0\.0\.1:\d+\/id\/[0-9A-F]{32}$/],
    ['bad-thumbprint', 400, 'InvalidIdentityToken', /^OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint$/],
    ['expired-token', 400, 'ExpiredTokenException', /^Token expired: current date\/time \d{10} must be before the expiration date\/time \d{10}$/],
    ['throttled', 400, 'Throttling', /^Rate exceeded$/],
    ['sts-down', 503, 'ServiceUnavailable', /temporary failure of the server/],
  ];
  for (const [scenario, status, code, message] of scenarios) {
    test(`${scenario}: AssumeRoleWithWebIdentity answers ${status} ${code}, shaped like AWS`, async () => {
      await world.setScenario(scenario);
      const r = await raw(world.stsUrl, await assumeForm(world));
      assert.equal(r.status, status, r.text);
      assert.equal(r.error?.Code, code);
      assert.equal(r.error?.Type, status >= 500 ? 'Receiver' : 'Sender');
      assert.match(r.error?.Message ?? '', message);
      assert.match(r.requestId ?? '', /^[0-9a-f-]{36}$/);
      assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>/);
    });
  }

  test('the expired-token message compares the current time with the token\'s exp', async () => {
    await world.setScenario('expired-token');
    const r = await raw(world.stsUrl, await assumeForm(world));
    const [, now, exp] = /current date\/time (\d+) must be before the expiration date\/time (\d+)/.exec(r.error!.Message)!.map(Number) as [number, number, number];
    assert.ok(Math.abs(now - Date.now() / 1000) < 60);
    assert.ok(exp < now);
  });

  test('healing a scenario makes the same call succeed again', async () => {
    await world.setScenario('wrong-subject');
    assert.equal((await raw(world.stsUrl, await assumeForm(world))).status, 403);
    await world.setScenario('healthy');
    assert.equal((await raw(world.stsUrl, await assumeForm(world))).status, 200);
  });

  describe('bad requests get AWS-shaped errors, never a crash', () => {
    const big = 'x'.repeat(200 * 1024);
    const cases: Array<[string, () => Promise<Raw>, number, string, RegExp]> = [
      ['no Action', () => raw(world.stsUrl, 'Version=2011-06-15'), 400, 'MissingAction', /Action/],
      ['an unknown action', () => raw(world.stsUrl, form({ Action: 'AssumeRoot' })), 400, 'InvalidAction', /^Could not find operation AssumeRoot for version 2011-06-15$/],
      ['another API version', () => raw(world.stsUrl, 'Action=GetCallerIdentity&Version=2099-01-01'), 400, 'InvalidAction', /for version 2099-01-01/],
      ['no Version', () => raw(world.stsUrl, 'Action=GetCallerIdentity'), 400, 'MissingParameter', /Version/],
      ['no parameters at all', () => raw(world.stsUrl, form({ Action: 'AssumeRoleWithWebIdentity' })), 400, 'ValidationError', /^3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; .*'roleSessionName'.*'webIdentityToken'/],
      ['a malformed role ARN', async () => raw(world.stsUrl, await assumeForm(world, { RoleArn: 'arn:aws:iam::1111:role/short-account' })), 400, 'ValidationError', /^Request ARN is invalid$/],
      ['a session name with spaces', async () => raw(world.stsUrl, await assumeForm(world, { RoleSessionName: 'has space' })), 400, 'ValidationError', /roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern/],
      ['a DurationSeconds below 900', async () => raw(world.stsUrl, await assumeForm(world, { DurationSeconds: '60' })), 400, 'ValidationError', /durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/],
      ['a token that is not a JWT', async () => raw(world.stsUrl, await assumeForm(world, { WebIdentityToken: 'not.a-jwt' })), 400, 'InvalidIdentityToken', /not a valid JWT/],
      ['a role that does not exist', async () => raw(world.stsUrl, await assumeForm(world, { RoleArn: 'arn:aws:iam::111122223333:role/nope' })), 403, 'AccessDenied', /Not authorized/],
      ['a role in another account', async () => raw(world.stsUrl, await assumeForm(world, { RoleArn: 'arn:aws:iam::444455556666:role/irsa-probe-demo' })), 400, 'InvalidIdentityToken', /No OpenIDConnect provider found/],
      ['a 200 KiB body', () => raw(world.stsUrl, `Action=GetCallerIdentity&Version=2011-06-15&Pad=${big}`), 413, 'RequestEntityTooLarge', /byte limit/],
      ['a GET of // (no parameters, a path URL parsers read as a host)', () => raw(`${world.stsUrl}//`, undefined, {}, 'GET'), 400, 'MissingAction', /Action/],
      ['a JSON body', () => raw(world.stsUrl, '{"Action":"GetCallerIdentity"}', { 'content-type': 'application/json' }), 400, 'MissingAction', /Action/],
    ];
    for (const [what, call, status, code, message] of cases) {
      test(`${what} → ${status} ${code}`, async () => {
        const r = await call();
        assert.equal(r.status, status, r.text);
        assert.equal(r.error?.Code, code);
        assert.match(r.error?.Message ?? '', message);
      });
    }

    test('a token signed with another key (same kid) fails signature verification', async () => {
      const real = (await readFile(world.tokenFile, 'utf8')).trim();
      const kid = decodeProtectedHeader(real).kid!;
      const forged = await OidcIssuer.mintWithForeignKey(world.issuerUrl, world.identity, { audience: 'sts.amazonaws.com', lifetimeSeconds: 3600 }, kid);
      const r = await raw(world.stsUrl, await assumeForm(world, { WebIdentityToken: forged }));
      assert.equal(r.status, 400);
      assert.equal(r.error?.Code, 'InvalidIdentityToken');
      assert.match(r.error!.Message, /signature/i);
    });

    test('error messages never echo the token', async () => {
      const token = (await readFile(world.tokenFile, 'utf8')).trim();
      await world.setScenario('wrong-subject');
      const r = await raw(world.stsUrl, await assumeForm(world, { RoleSessionName: 'x y' }));
      assert.equal(r.status, 400);
      assert.ok(!r.text.includes(token.split('.')[1]!));
    });

    test('the server still answers a valid call after all of them', async () => {
      assert.equal((await raw(world.stsUrl, await assumeForm(world))).status, 200);
    });
  });

  describe('GetCallerIdentity signature checks', () => {
    async function signedRequest(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }, region = REGION) {
      const url = new URL(world.stsUrl);
      const body = 'Action=GetCallerIdentity&Version=2011-06-15';
      const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256, applyChecksum: false });
      const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body });
      return { headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host').map(([k, v]) => [k, String(v)])), body };
    }

    test('a correctly signed request passes', async () => {
      const { headers, body } = await signedRequest(await credentialsOf(world));
      const r = await raw(world.stsUrl, body, headers);
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<Arn>arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/e2e-session<\/Arn>/);
    });

    test('a tampered body gets 403 SignatureDoesNotMatch', async () => {
      const { headers, body } = await signedRequest(await credentialsOf(world));
      const r = await raw(world.stsUrl, `${body}&Extra=1`, headers);
      assert.equal(r.status, 403);
      assert.equal(r.error?.Code, 'SignatureDoesNotMatch');
      assert.match(r.error!.Message, /^The request signature we calculated does not match the signature you provided/);
    });

    test('an unsigned request is refused with 403 MissingAuthenticationToken', async () => {
      const r = await raw(world.stsUrl, 'Action=GetCallerIdentity&Version=2011-06-15');
      assert.equal(r.status, 403);
      assert.equal(r.error?.Code, 'MissingAuthenticationToken');
    });

    test('a key STS never issued gets 403 InvalidClientTokenId (AWS SDK)', async () => {
      const sdk = client(world, { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), sessionToken: 'nope' });
      await assert.rejects(sdk.send(new GetCallerIdentityCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, 'InvalidClientTokenId');
        assert.equal(e.message, 'The security token included in the request is invalid.');
        assert.equal(e.$metadata?.httpStatusCode, 403);
        return true;
      });
    });

    test('a request signed for another region gets SignatureDoesNotMatch naming the region', async () => {
      const { headers, body } = await signedRequest(await credentialsOf(world), 'us-east-1');
      const r = await raw(world.stsUrl, body, headers);
      assert.equal(r.status, 403);
      assert.equal(r.error?.Code, 'SignatureDoesNotMatch');
      assert.match(r.error!.Message, /Credential should be scoped to a valid region, not 'us-east-1'/);
    });
  });

  describe('fault knobs', () => {
    test('stsDelayMs delays every answer', async () => {
      await world.setFault({ stsDelayMs: 400 });
      const started = Date.now();
      assert.equal((await raw(world.stsUrl, await assumeForm(world))).status, 200);
      assert.ok(Date.now() - started >= 390);
    });

    test('stsHang accepts and never answers; clearing it answers again', async () => {
      await world.setFault({ stsHang: true });
      const body = await assumeForm(world);
      await assert.rejects(fetch(world.stsUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(500) }), /timeout|abort/i);
      await world.setFault({ stsHang: false });
      assert.equal((await raw(world.stsUrl, body)).status, 200);
    });

    test('stsRefuse closes the listener; healing listens again on the same port', async () => {
      await world.setFault({ stsRefuse: true });
      assert.equal(await connectError(world.stsUrl), 'ECONNREFUSED');
      await world.setFault({ stsRefuse: false });
      assert.equal((await raw(world.stsUrl, await assumeForm(world))).status, 200);
    });

    const answers: Array<[string, Parameters<World['setFault']>[0], number, string, string]> = [
      ['stsStatus 500', { stsStatus: 500 }, 500, 'InternalFailure', 'Receiver'],
      ['stsStatus 503', { stsStatus: 503 }, 503, 'ServiceUnavailable', 'Receiver'],
      ['stsIdpError', { stsIdpError: true }, 400, 'IDPCommunicationError', 'Sender'],
      ['stsThrottleShare 1', { stsThrottleShare: 1 }, 400, 'Throttling', 'Sender'],
    ];
    for (const [what, knob, status, code, type] of answers) {
      test(`${what} → ${status} ${code}`, async () => {
        await world.setFault(knob);
        const r = await raw(world.stsUrl, await assumeForm(world));
        assert.equal(r.status, status, r.text);
        assert.equal(r.error?.Code, code);
        assert.equal(r.error?.Type, type);
      });
    }
  });

  test('stats count each operation, its errors and their codes', async () => {
    world.resetStats();
    const creds = await credentialsOf(world);
    await client(world, creds).send(new GetCallerIdentityCommand({}));
    await world.setScenario('wrong-subject');
    await raw(world.stsUrl, await assumeForm(world));
    const sts = world.stats().sts;
    assert.deepEqual(sts.AssumeRoleWithWebIdentity, { requests: 2, errors: 1, codes: { AccessDenied: 1 } });
    assert.deepEqual(sts.GetCallerIdentity, { requests: 1, errors: 0, codes: {} });
  });
});

describe('sandbox STS with short-lived credentials', () => {
  let world: World;
  worldPerSuite((w) => (world = w), { world: { credentialsDurationSeconds: 1 } });

  test('expired credentials get 403 ExpiredToken', async () => {
    const creds = await credentialsOf(world);
    await new Promise((r) => setTimeout(r, 2100));
    await assert.rejects(client(world, creds).send(new GetCallerIdentityCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'ExpiredToken');
      assert.equal(e.$metadata?.httpStatusCode, 403);
      return true;
    });
  });
});
