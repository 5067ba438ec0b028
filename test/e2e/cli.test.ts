import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, ServeProcess } from '../helpers/process.js';

describe('irsa-probe command line', () => {
  test('--version prints the version and exits 0', async () => {
    const r = await runCli(['--version'], {});
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^irsa-probe \d+\.\d+\.\d+/);
  });

  test('--help lists every setting with its variable and flag', async () => {
    const r = await runCli(['--help'], {});
    assert.equal(r.code, 0);
    for (const s of ['IRSA_PROBE_INTERVAL', '--interval', 'IRSA_PROBE_S3_BUCKET', '--s3-bucket']) assert.ok(r.stdout.includes(s), s);
  });

  const usage: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a bad interval variable', ['check'], { IRSA_PROBE_INTERVAL: 'soon' }, /IRSA_PROBE_INTERVAL="soon" is invalid: expected/],
    ['a bad port flag', ['check', '--port', '99999'], {}, /--port="99999" is invalid: expected/],
    ['an unknown flag', ['check', '--colour'], {}, /--colour/],
    ['an unknown command', ['probe-it'], {}, /probe-it/],
  ];
  for (const [what, args, env, message] of usage) {
    test(`exits 2 with one clear line for ${what}`, async () => {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  test('check exits 1 and explains a pod with no identity', async () => {
    const r = await runCli(['check'], { AWS_REGION: 'us-west-2' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /FAIL\s+env/);
    assert.match(r.stdout, /env_missing/);
    assert.match(r.stdout, /eks\.amazonaws\.com\/role-arn/);
  });

  test('check --json prints the Report', async () => {
    const r = await runCli(['check', '--json'], { AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/x', AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token', AWS_REGION: 'us-west-2' });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; reason?: string }> };
    assert.equal(report.ok, false);
    assert.equal(report.checks.find((c) => c.name === 'token')?.reason, 'token_missing');
  });
});

describe('irsa-probe serve', () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await ServeProcess.start({ AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/x', AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token', AWS_REGION: 'us-west-2', IRSA_PROBE_INTERVAL: '200ms' });
  });
  after(async () => {
    await serve.stop();
  });

  test('is live but not ready while the token is missing, and says why', async () => {
    assert.equal((await serve.get('/livez')).status, 200);
    const ready = await serve.waitFor('/readyz', (r) => r.status === 503 && /token/.test(r.body));
    assert.match(ready.body, /token/);
    const metrics = await serve.waitFor('/metrics', (r) => /irsa_check_failures_total\{check="token",reason="token_missing"\} [1-9]/.test(r.body));
    assert.match(metrics.body, /irsa_probe_ready 0/);
  });

  test('answers 405 to POST', async () => {
    const r = await serve.get('/readyz', { method: 'POST' });
    assert.equal(r.status, 405);
    assert.match(r.headers.get('allow') ?? '', /GET/);
  });

  test('stops within 2 s of SIGTERM with exit code 0', async () => {
    const { code, ms } = await serve.stop();
    assert.equal(code, 0);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
