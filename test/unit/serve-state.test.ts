import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/log.js';
import { createServeState } from '../../src/serve-state.js';
import { ASSUMED_ARN, chainAsRole, configFrom, irsaEnv, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { mintToken } from '../helpers/tokens.js';
import { mintedTokenDir } from './fixtures.js';

describe('runtime: what each Report does to readiness, metrics and logs', () => {
  const minted = mintedTokenDir();

  test('a healthy cycle makes the pod ready, fills the gauges and logs one state change', async () => {
    const lines: string[] = [];
    let clock = Date.now();
    let assumeOk = true;
    const runtime = createServeState(configFrom(irsaEnv(minted().dir.path, { IRSA_PROBE_FAILURE_THRESHOLD: '2' }), ['serve']), {
      version: '9.9.9',
      log: createLogger('info', (l) => lines.push(l)),
      now: () => clock,
      defaultMetrics: false,
      deps: {
        assumeRoleWithWebIdentity: async () => {
          if (!assumeOk) throw Object.assign(new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
          return { accessKeyId: 'ASIAKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(clock + 3600_000) };
        },
        assumeRole: async () => { throw new Error('unused'); },
        getCallerIdentity: async () => ({ arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }),
        podIdentityCredentials: async () => { throw new Error('unused'); },
        defaultChain: chainAsRole,
        s3: async () => { throw new Error('unused'); },
        sharedFileKeys: async () => undefined,
        readTokenFile: async (p) => (await import('../../src/token-file.js')).readTokenFile(p),
      },
    });
    const cycle = async () => runtime.record(await runtime.probe.run(new AbortController().signal));
    await cycle();
    assert.equal(runtime.health.readiness(clock).ready, true);
    let text = await runtime.metrics.render();
    assert.match(text, /irsa_probe_ready 1/);
    assert.match(text, /irsa_token_expiry_timestamp_seconds \d+/);
    assert.match(text, /irsa_credentials_expiry_timestamp_seconds \d+/);
    assert.match(text, /irsa_probe_info\{[^}]*namespace="payments"[^}]*service_account="api"[^}]*\} 1/);
    assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ['ready']);

    assumeOk = false;
    // A rotated token makes the probe assume again (the cached credentials are private to the probe).
    const rotated = await mintToken({ iat: Math.floor(Date.now() / 1000) - 60 });
    await minted().dir.write(rotated);
    await cycle();
    assert.equal(runtime.health.readiness(clock).ready, true, 'one failure is below the threshold');
    await cycle();
    assert.equal(runtime.health.readiness(clock).ready, false);
    text = await runtime.metrics.render();
    assert.match(text, /irsa_check_failures_total\{check="sts",reason="trust_policy_mismatch"\} 2/);
    const msgs = lines.map((l) => JSON.parse(l).msg);
    assert.deepEqual(msgs, ['ready', 'check failed', 'not ready'], 'a repeated failure is logged once');

    clock += 10 * 60_000;
    runtime.beat(clock);
    assert.match(await runtime.metrics.render(), /irsa_probe_ready 0/);
    const all = lines.join('\n') + text + JSON.stringify(runtime.status());
    for (const secret of [minted().token, rotated, SECRET_ACCESS_KEY, SESSION_TOKEN]) assert.ok(!all.includes(secret), 'no secret in logs, metrics or status');
  });
});
