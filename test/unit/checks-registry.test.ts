/** The check registry: every entry says what it needs, and what it needs runs before it. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CHECK_NAMES, CHECKS, isCheckName, type CheckEntry } from '../../src/checks/index.js';
import { detectMechanism } from '../../src/mechanism.js';
import { ProbeMetrics } from '../../src/metrics.js';
import { Probe } from '../../src/probe.js';
import { isReason } from '../../src/types.js';
import { configFrom } from '../helpers/probe.js';

describe('check registry', () => {
  it('names each check once, in the shape of a metric label value and a report word', () => {
    assert.equal(new Set(CHECKS.map((c) => c.name)).size, CHECKS.length);
    for (const name of CHECK_NAMES) assert.match(name, /^[a-z][a-z0-9]*$/);
  });

  it('isCheckName knows only the registered names', () => {
    for (const value of ['nope', '', 'ENV', ' env', 'env ', 'constructor', 'toString', '__proto__']) assert.equal(isCheckName(value), false, value);
    assert.equal(isCheckName('sts'), true);
  });

  it('lists only earlier checks as needs, so a need has always run first', () => {
    CHECKS.forEach((entry, i) => {
      const earlier = CHECK_NAMES.slice(0, i) as readonly string[];
      for (const need of entry.needs) assert.ok(earlier.includes(need), `${entry.name} needs ${need}, which does not run before it`);
    });
  });

  it('gives each check a unit test file of its own (test/unit/<name>-check.test.ts)', () => {
    for (const name of CHECK_NAMES) {
      const file = new URL(`./${name}-check.test.js`, import.meta.url);
      assert.ok(existsSync(file), `no test/unit/${name}-check.test.ts`);
    }
  });

  it('gives each check a fallback reason from the fixed set, and metrics count a failure without a known reason under it', async () => {
    for (const entry of CHECKS) {
      assert.ok(isReason(entry.fallbackReason), `${entry.name}: ${entry.fallbackReason}`);
      const metrics = new ProbeMetrics({ defaultMetrics: false });
      const failed = (reason: unknown) => ({ name: entry.name, status: 'fail', reason, durationMs: 1, message: 'm', findings: [] }) as never;
      metrics.observeReport({ ok: false, startedAt: new Date(0).toISOString(), durationMs: 1, checks: [failed(undefined), failed('not_a_reason')], facts: { stsEndpoint: 'x' } });
      const text = await metrics.render();
      assert.match(text, new RegExp(`^irsa_check_failures_total\\{check="${entry.name}",reason="${entry.fallbackReason}"\\} 2$`, 'm'), `${entry.name}:\n${text}`);
    }
  });

  it('a check that crashes fails with its fallback reason (an advisory one is skipped)', async () => {
    const config = configFrom({ IRSA_PROBE_POD_NAME: 'p' });
    for (const entry of CHECKS as readonly CheckEntry[]) {
      const run = async (): Promise<never> => {
        throw new Error('boom');
      };
      const probe = new Probe({ config, mechanism: detectMechanism(config.aws), deps: {} as never, stsEndpoint: 'x', checks: [{ ...entry, needs: [], run }] });
      const [result] = (await probe.run(new AbortController().signal)).checks;
      if (entry.advisory === true) assert.equal(result?.status, 'skip', entry.name);
      else assert.deepEqual([result?.status, result?.reason], ['fail', entry.fallbackReason], entry.name);
    }
  });
});
