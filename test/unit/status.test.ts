/** The /status document: what an operator sees, built from the last Report's facts, and never a secret. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SDK_POINTER } from '../../src/diagnose.js';
import { Health } from '../../src/health.js';
import { detectMechanism } from '../../src/mechanism.js';
import { buildStatus } from '../../src/status.js';
import type { Report } from '../../src/types.js';
import { configFrom, irsaEnv, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { ISSUER, SUBJECT } from '../helpers/tokens.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const ENDPOINT = 'https://sts.us-west-2.amazonaws.com';
const config = configFrom(irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY', AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN }), ['serve']);

function health(): Health {
  return new Health({ successThreshold: 1, failureThreshold: 3, staleAfterMs: 600_000, heartbeatTimeoutMs: 600_000, createdAt: T0 });
}

function statusOf(h: Health) {
  return buildStatus({ version: '1.2.3', config, mechanism: detectMechanism(config.aws), audience: 'sts.amazonaws.com', stsEndpoint: ENDPOINT, health: h, now: () => T0 + 5_000 });
}

const REPORT: Report = {
  ok: true,
  startedAt: new Date(T0).toISOString(),
  durationMs: 42,
  checks: [{ name: 'sts', status: 'pass', durationMs: 40, message: 'assumed', findings: [], stsCalls: [{ operation: 'AssumeRoleWithWebIdentity', outcome: 'success' }] }],
  facts: {
    stsEndpoint: ENDPOINT,
    claims: { iss: ISSUER, sub: SUBJECT, aud: ['sts.amazonaws.com'], iat: T0 / 1000 - 60, exp: T0 / 1000 + 86_340, namespace: 'payments', serviceAccount: 'api', pod: 'api-0', alg: 'RS256', kid: 'k1' },
    tokenChangedAt: T0 - 60_000,
    assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/payments-api/irsa-probe-api-0',
    credentialsObtainedAt: T0,
    credentialsExpireAt: new Date(T0 + 3600_000),
    chainArn: 'arn:aws:sts::111122223333:assumed-role/payments-api/chain',
  },
};

describe('status view', () => {
  it('before the first cycle: configuration and readiness, no token, credentials or report', () => {
    const s = statusOf(health());
    assert.equal(s.version, '1.2.3');
    assert.equal(s.mechanism, 'irsa');
    assert.equal(s.config.roleArn, ROLE_ARN);
    assert.equal(s.config.stsEndpoint, ENDPOINT);
    assert.equal(s.token, null);
    assert.equal(s.credentials, null);
    assert.equal(s.lastReport, null);
    assert.equal(s.readiness.ready, false);
  });

  it("after a cycle: the token's claims, the credentials' role and expiry and the chain, from the Report's facts", () => {
    const h = health();
    h.record(REPORT, T0 + 1_000);
    const s = statusOf(h);
    assert.equal(s.token?.issuer, ISSUER);
    assert.equal(s.token?.subject, SUBJECT);
    assert.equal(s.token?.expiresAt, new Date((T0 / 1000 + 86_340) * 1000).toISOString());
    assert.equal(s.token?.lastRotationSeenAt, new Date(T0 - 60_000).toISOString());
    assert.equal(s.credentials?.assumedRoleArn, REPORT.facts.assumedRoleArn);
    assert.equal(s.credentials?.expiresAt, new Date(T0 + 3600_000).toISOString());
    assert.deepEqual(s.defaultChain, { resolvesTo: REPORT.facts.chainArn });
    assert.equal(s.readiness.ready, true);
    assert.equal(s.lastReport?.checks.length, 1);
  });

  it('never shows a key, a secret or a session token, even when the environment holds them', () => {
    const h = health();
    h.record(REPORT, T0 + 1_000);
    const text = JSON.stringify(statusOf(h));
    for (const secret of [SECRET_ACCESS_KEY, SESSION_TOKEN, 'AKIAEXAMPLEKEY']) assert.ok(!text.includes(secret), `status shows ${secret}`);
  });

  it("while every check passes, points at the README section on the application's own SDK", () => {
    const h = health();
    h.record(REPORT, T0 + 1_000);
    const s = statusOf(h);
    assert.equal(s.hint, SDK_POINTER);
    assert.match(s.hint ?? '', /#probe-green-application-red/);
  });

  it('carries no such hint before the first cycle or while a check fails (the findings speak then)', () => {
    assert.equal(statusOf(health()).hint, null);
    const h = health();
    h.record(REPORT, T0 + 1_000);
    h.record({ ...REPORT, ok: false, checks: [{ name: 'chain', status: 'fail', reason: 'fallback_to_node_role', durationMs: 1, message: 'node role', findings: [] }] }, T0 + 2_000);
    assert.equal(statusOf(h).hint, null);
  });
});
