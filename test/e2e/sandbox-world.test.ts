import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readFile, readlink, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startWorld, type World } from '../../sandbox/world.js';
import { connectError } from '../helpers/bounded.js';

const run = promisify(execFile);

async function poll<T>(read: () => Promise<T>, ok: (value: T) => boolean, deadlineMs: number, what: string): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}

const token = (w: World, file = w.tokenFile): Promise<string> => readFile(file, 'utf8');

describe('sandbox world: issuer and token files', () => {
  const lifetime = 3;
  let world: World;
  before(async () => {
    world = await startWorld({ tokenLifetimeSeconds: lifetime });
  });
  after(async () => {
    await world.stop();
  });
  beforeEach(async () => {
    await world.resetFaults();
  });

  test('serves the discovery document and JWKS the way EKS does', async () => {
    const discovery = (await (await fetch(`${world.issuerUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(discovery.issuer, world.issuerUrl);
    assert.equal(discovery.jwks_uri, `${world.issuerUrl}/keys`);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = (await (await fetch(`${world.issuerUrl}/keys`)).json()) as { keys: Array<Record<string, string>> };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.kty, 'RSA');
    assert.equal(jwks.keys[0]!.alg, 'RS256');
    assert.ok(jwks.keys[0]!.kid);
    assert.equal(jwks.keys[0]!.d, undefined, 'no private key material');
    assert.equal((await fetch(`${world.issuerUrl}/keys`, { method: 'POST' })).status, 405);
    assert.match(world.issuerUrl, /^http:\/\/127\.0\.0\.1:\d+\/id\/[0-9A-F]{32}$/);
  });

  test('the IRSA token is a projected service-account token like kubelet\'s, verifiable through the JWKS', async () => {
    const text = await token(world);
    const header = decodeProtectedHeader(text);
    assert.equal(header.alg, 'RS256');
    const { payload } = await jwtVerify(text, createRemoteJWKSet(new URL(`${world.issuerUrl}/keys`)), { issuer: world.issuerUrl, audience: 'sts.amazonaws.com' });
    assert.equal(payload.sub, 'system:serviceaccount:default:irsa-probe-demo');
    assert.deepEqual(payload.aud, ['sts.amazonaws.com']);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload.exp! - payload.iat!, lifetime);
    const k8s = payload['kubernetes.io'] as { namespace: string; pod: { name: string; uid: string }; serviceaccount: { name: string; uid: string } };
    assert.equal(k8s.namespace, 'default');
    assert.equal(k8s.pod.name, 'demo-pod-0');
    assert.equal(k8s.serviceaccount.name, 'irsa-probe-demo');
    assert.match(k8s.pod.uid, /^[0-9a-f-]{36}$/);
    assert.match(k8s.serviceaccount.uid, /^[0-9a-f-]{36}$/);
    assert.equal(header.kid, ((await (await fetch(`${world.issuerUrl}/keys`)).json()) as { keys: Array<{ kid: string }> }).keys[0]!.kid);
  });

  test('the Pod Identity token has audience pods.eks.amazonaws.com', async () => {
    assert.deepEqual(decodeJwt(await token(world, world.podIdentityTokenFile)).aud, ['pods.eks.amazonaws.com']);
  });

  test('token files sit where the webhooks mount them, behind ..data', async () => {
    assert.ok(world.tokenFile.endsWith('/eks.amazonaws.com/serviceaccount/token'));
    assert.ok(world.podIdentityTokenFile.endsWith('/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token'));
    assert.equal(await readlink(world.tokenFile), '..data/token');
    assert.match(await readlink(`${dirname(world.tokenFile)}/..data`), /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/);
  });

  test(`rotates the token at 80% of its ${lifetime} s life: a new iat, a new ..data, the old directory gone`, async () => {
    const dir = dirname(world.tokenFile);
    const first = await token(world);
    const firstTarget = await readlink(`${dir}/..data`);
    const second = await poll(() => token(world), (t) => t !== first, lifetime * 1000 * 3, 'a rotation');
    assert.ok(decodeJwt(second).iat! >= decodeJwt(first).iat!);
    // The writer swaps ..data first and removes the old directory after: a reader may come in between.
    await poll(() => readdir(dir), (entries) => !entries.includes(firstTarget), 5_000, 'the old directory to go');
  });

  const contents: Array<[string, (text: string) => void]> = [
    ['garbage', (t) => assert.equal(t.trim(), 'this-is-not-a-jwt')],
    ['empty', (t) => assert.equal(t, '')],
    ['expired', (t) => assert.ok(decodeJwt(t).exp! < Date.now() / 1000)],
    ['future-iat', (t) => assert.ok(decodeJwt(t).iat! > Date.now() / 1000 + 600)],
  ];
  for (const [content, check] of contents) {
    test(`tokenContent ${content} rewrites both token files at once, and a reset restores a valid token`, async () => {
      await world.setFault({ tokenContent: content as 'garbage' });
      check(await token(world));
      check(await token(world, world.podIdentityTokenFile));
      await world.resetFaults();
      const claims = decodeJwt(await token(world));
      assert.ok(claims.exp! > Date.now() / 1000);
    });
  }

  test('stopped rotation leaves the token alone past 80% of its life; resuming rewrites it', async () => {
    await world.setFault({ tokenRotation: 'stopped' });
    const writes = world.stats().tokenWrites;
    const frozen = await token(world);
    await new Promise((r) => setTimeout(r, lifetime * 1000));
    assert.equal(world.stats().tokenWrites, writes);
    assert.equal(await token(world), frozen);
    await world.setFault({ tokenRotation: 'running' });
    assert.notEqual(await token(world), frozen);
  });

  test('rotateToken() rewrites the files now', async () => {
    const before = await token(world);
    await world.rotateToken();
    assert.notEqual(await token(world), before);
  });
});

describe('sandbox world: admin API, env file, stop', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.stop();
  });

  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${world.adminUrl}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, allow: res.headers.get('allow') };
  };

  test('GET / says what runs where', async () => {
    const r = await call('GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.json.scenario, 'healthy');
    assert.deepEqual(r.json.endpoints, { sts: world.stsUrl, s3: world.s3Url, imds: world.imdsUrl, podIdentity: world.podIdentityUrl, issuer: world.issuerUrl });
  });

  test('POST /scenario switches the running world; GET /scenario reads it back', async () => {
    assert.equal((await call('POST', '/scenario', '{"name":"s3-denied"}')).status, 200);
    assert.equal(world.scenario, 's3-denied');
    assert.deepEqual((await call('GET', '/scenario')).json, { name: 's3-denied' });
    assert.equal(world.faults().s3Deny, true);
    await call('POST', '/scenario', '{"name":"healthy"}');
    assert.equal(world.faults().s3Deny, false);
  });

  test('POST /faults sets knobs over the scenario; /faults/reset clears them', async () => {
    const r = await call('POST', '/faults', '{"stsDelayMs":5,"s3FlakyShare":0.5}');
    assert.equal(r.status, 200);
    assert.equal(r.json.stsDelayMs, 5);
    assert.equal(world.faults().s3FlakyShare, 0.5);
    assert.equal((await call('POST', '/faults/reset')).json.stsDelayMs, 0);
  });

  const bad: Array<[string, string, string | undefined, number, RegExp]> = [
    ['an unknown scenario', '/scenario', '{"name":"on-fire"}', 400, /unknown scenario "on-fire"; known: healthy/],
    ['a body that is not JSON', '/scenario', '{name', 400, /JSON/],
    ['an unknown knob', '/faults', '{"stsExplode":true}', 400, /unknown fault knob "stsExplode"/],
    ['a knob of the wrong type', '/faults', '{"stsThrottleShare":"half"}', 400, /stsThrottleShare must be a number from 0 to 1/],
    ['an unknown route', '/nope', undefined, 404, /no route \/nope/],
  ];
  for (const [what, path, body, status, message] of bad) {
    test(`${what} gets ${status} and a message`, async () => {
      const r = await call(body === undefined ? 'GET' : 'POST', path, body);
      assert.equal(r.status, status);
      assert.match(String(r.json.error), message);
    });
  }

  test('a wrong method gets 405 with Allow', async () => {
    const r = await call('DELETE', '/scenario');
    assert.equal(r.status, 405);
    assert.equal(r.allow, 'GET, POST');
  });

  test('GET /stats and POST /stats/reset', async () => {
    await fetch(`${world.issuerUrl}/keys`);
    const stats = (await call('GET', '/stats')).json as { issuer: Record<string, { requests: number }> };
    assert.ok(stats.issuer.jwks!.requests >= 1);
    const reset = (await call('POST', '/stats/reset')).json as { issuer: Record<string, unknown>; tokenWrites: number };
    assert.deepEqual(reset.issuer, {});
  });

  test('POST /rotate rewrites the token', async () => {
    const before = await token(world);
    assert.equal((await call('POST', '/rotate')).status, 200);
    assert.notEqual(await token(world), before);
  });

  test('the env file, loaded by a shell with set -a, gives exactly world.env', async () => {
    const { stdout } = await run('sh', ['-c', 'set -a; . "$1"; set +a; env', 'sh', world.envFile], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const loaded = Object.fromEntries(stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const [key, value] of Object.entries(world.env)) assert.equal(loaded[key], value, key);
    assert.deepEqual((await call('GET', '/env')).json, world.env);
  });

  test('stop() closes every port and removes the temp dir and env file', async () => {
    const other = await startWorld();
    const urls = [other.adminUrl, other.stsUrl, other.s3Url, other.imdsUrl, other.podIdentityUrl, other.issuerUrl];
    await other.stop();
    for (const url of urls) assert.equal(await connectError(url), 'ECONNREFUSED', url);
    await assert.rejects(access(other.dir));
    await assert.rejects(access(other.envFile));
  });

  test('an unknown scenario is refused at start', async () => {
    await assert.rejects(startWorld({ scenario: 'nope' as 'healthy' }), /unknown scenario "nope"/);
  });
});
