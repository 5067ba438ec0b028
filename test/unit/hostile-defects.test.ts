/**
 * The adversarial pass's smaller defects (issue 13), each with the input that
 * showed it: the scrubber's running time on eyJ… text, token times outside a
 * Date, Pod Identity URLs the SDK refuses, and /metrics under promtool.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { scrubText } from '../../src/log.js';
import { ProbeMetrics } from '../../src/metrics.js';
import { agentUrlProblem } from '../../src/pod-identity.js';
import { envCheck } from '../../src/checks/env.js';
import { tokenCheck } from '../../src/checks/token.js';
import { contextFor, irsaEnv } from '../helpers/probe.js';
import { timed } from '../helpers/bounded.js';
import { unsignedToken } from '../helpers/tokens.js';
import { statusAfter } from './fixtures.js';

describe('log scrubber (defect 10)', () => {
  // Linear: 450 kB of any of these takes 20-30 ms; the quadratic scrubber took a second at 45 kB, so
  // about 100 s at 450 kB. A synchronous call cannot be cut by a test timeout, so its time is bounded:
  // 3 s is 100 times the linear time (a loaded 2-core machine stays under it) and 30 times under the quadratic.
  const BUDGET_MS = 3_000;
  const texts: Array<[string, string]> = [
    ['eyJ repeated', 'eyJ'.repeat(150_000)],
    ['eyJ segments', 'eyJa.'.repeat(90_000)],
    ['URL-like', 'a://'.repeat(112_500)],
    ['base64 runs of 99', `${'A'.repeat(99)} `.repeat(4_500)],
  ];
  for (const [what, text] of texts) {
    test(`scrubs 450 kB of ${what} in linear time`, () => {
      timed(() => scrubText(text), BUDGET_MS);
    });
  }
  test('still masks a JWT, whatever precedes it', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    for (const before of ['', 'Bearer ', 'x.', 'eyJeyJ', '"']) assert.ok(!scrubText(`${before}${jwt} tail`).includes('c2lnbmF0dXJl'), before);
  });
});

describe('token times outside the range of a date (defect 6)', () => {
  const nowS = Math.floor(Date.now() / 1000);
  const claims = { iss: 'https://oidc.example/id/X', sub: 'system:serviceaccount:payments:api', aud: 'sts.amazonaws.com', iat: nowS, exp: nowS + 3600 };
  for (const [name, value] of [['exp', 1e13], ['exp', -1e13], ['iat', 1e13], ['nbf', -1e13]] as const) {
    test(`${name}: ${value} is token_malformed, and /status still renders`, async () => {
      const text = unsignedToken({ ...claims, [name]: value });
      const ctx = contextFor(irsaEnv('/tmp/token'), { deps: { readTokenFile: async () => ({ text, mtimeMs: 0 }) } });
      const v = await tokenCheck(ctx);
      assert.equal(v.reason, 'token_malformed', v.message);
      assert.match(v.message, new RegExp(`"${name}" is outside the range of a date`));
      const checks = [{ name: 'token' as const, status: v.status, reason: v.reason, message: v.message, findings: v.findings ?? [], durationMs: 1 }];
      const status = statusAfter({ ok: false, startedAt: new Date(0).toISOString(), durationMs: 1, checks, facts: { stsEndpoint: ctx.state.stsEndpoint, claims: ctx.state.claims } }, ctx.config, ctx.audience);
      // The refused claims never reach /status (its dates would not render); the failure does.
      assert.equal(status.token, null);
      assert.equal(status.readiness.ready, false);
      assert.deepEqual(status.lastReport?.checks.map((c) => [c.name, c.status, c.reason]), [['token', 'fail', 'token_malformed']]);
    });
  }
});

describe('Pod Identity URLs (defect 9)', () => {
  const env = (uri: string) => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token', AWS_REGION: 'us-west-2' });
  test('a URL the SDK refuses fails the env check as env_invalid, naming the rule, not as a Pod Identity agent problem', async () => {
    const v = await envCheck(contextFor(env('http://10.1.2.3/v1/credentials')));
    assert.equal(v.reason, 'env_invalid');
    assert.match(v.message, /refused by the AWS SDK: plain http to 10\.1\.2\.3/);
  });
  test('the addresses the SDK accepts pass', async () => {
    for (const uri of ['http://169.254.170.23/v1/credentials', 'http://[fd00:ec2::23]/v1/credentials', 'http://127.0.0.1:9000/v1/credentials', 'http://localhost/x', 'http://[::1]/x', 'https://agent.example/v1']) {
      const v = await envCheck(contextFor(env(uri)));
      assert.equal(v.status, 'pass', `${uri}: ${v.message}`);
    }
  });
  test('agentUrlProblem agrees with the SDK on any host', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6().map((h) => `[${h}]`),
      fc.constantFrom('localhost', '169.254.170.2', '169.254.170.23', '[fd00:ec2::23]', '127.0.0.1', '127.256.0.1', '127.1', '[::1]', 'example.com', '127.0.0.1.example.com'),
      fc.domain(),
    );
    fc.assert(
      fc.property(host, fc.constantFrom('http:', 'https:'), (h, scheme) => {
        let url: URL;
        try {
          url = new URL(`${scheme}//${h}/v1/credentials`);
        } catch {
          return;
        }
        let sdkRefuses = false;
        try {
          fromHttp({ awsContainerCredentialsFullUri: url.href, awsContainerAuthorizationToken: 'x' });
        } catch {
          sdkRefuses = true;
        }
        assert.equal(agentUrlProblem(url) !== undefined, sdkRefuses, url.href);
      }),
      { numRuns: 300 },
    );
  });
});

describe('/metrics under promtool (lint)', () => {
  test('promtool check metrics finds nothing in the full output, default metrics and hostile label values included', async () => {
    const metrics = new ProbeMetrics();
    metrics.setInfo({ mechanism: 'irsa', role_arn: 'arn:aws:iam::1:role/x\r\n"\\', region: '\u001b[31m', sts_endpoint: 'http://127.0.0.1:1', namespace: 'a\u202eb', service_account: '', version: '0' });
    metrics.observeReport({ ok: false, startedAt: new Date().toISOString(), durationMs: 12, checks: [{ name: 'sts', status: 'fail', reason: 'timeout', durationMs: 10, message: 'x', findings: [] }], facts: { stsEndpoint: 'http://127.0.0.1:1' } });
    const text = await metrics.render();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool is not installed: run scripts/install-tools.sh prometheus (as root) first');
    assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', `promtool reported:\n${r.stdout}${r.stderr}`);
  });
});
