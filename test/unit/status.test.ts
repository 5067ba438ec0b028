import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SDK_POINTER } from '../../src/diagnose.js';
import { Health } from '../../src/health.js';
import { detectMechanism } from '../../src/mechanism.js';
import { buildStatus } from '../../src/status.js';
import type { Report } from '../../src/types.js';
import { configFrom, irsaEnv } from '../helpers/probe.js';

const report = (ok: boolean): Report => ({
  ok,
  startedAt: new Date(0).toISOString(),
  durationMs: 5,
  checks: [{ name: 'chain', status: ok ? 'pass' : 'fail', durationMs: 1, message: ok ? 'resolves to the role' : 'node role', ...(ok ? {} : { reason: 'fallback_to_node_role' as const }), findings: [] }],
  findings: [],
});

describe('/status document', () => {
  const config = configFrom(irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token'));
  const statusAfter = (reports: Report[]) => {
    const health = new Health({ successThreshold: 1, failureThreshold: 3, staleAfterMs: 60_000, heartbeatTimeoutMs: 60_000, createdAt: 0 });
    reports.forEach((r, i) => health.record(r, 1000 * (i + 1)));
    return buildStatus({ version: 't', config, mechanism: detectMechanism(config.aws), audience: 'sts.amazonaws.com', state: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' }, health, now: () => 10_000 });
  };

  test('while every check passes, points at the README section on the application\'s own SDK', () => {
    const status = statusAfter([report(true)]);
    assert.equal(status.hint, SDK_POINTER);
    assert.match(status.hint ?? '', /#probe-green-application-red/);
  });

  test('carries no such hint before the first cycle or while a check fails (the findings speak then)', () => {
    assert.equal(statusAfter([]).hint, null);
    assert.equal(statusAfter([report(true), report(false)]).hint, null);
  });
});
