/**
 * Detection at the defaults: each way users break the trust chain, switched
 * at run time in the sandbox while a real `serve` runs with every default but
 * a short `--interval`. Sessions issued before the break stay valid in the
 * sandbox, as in AWS, so only a probe that re-proves the chain every cycle
 * sees these. Each break must turn /readyz 503 within failureThreshold cycles
 * that started after it, name its reason, and heal within two cycles of the
 * fix. Measurements go to .tmp/reliability/detection.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import type { CheckName } from '../../src/types.js';
import { ServeProcess } from '../helpers/process.js';
import { sampleValue } from '../helpers/prom.js';
import { BREAK_WORLDS, type Break } from './breaks.js';
import { endOf, FAST, JITTER, Observer, pollFor, probeArgs, Results, SAMPLE_EVERY_MS, SLACK_MS, summarise, type Timing } from './faults-harness.js';

/** The probe's defaults; the only setting the test changes is the interval (default 60 s). */
const TIMING: Timing = { ...FAST, intervalMs: 500 };
const results = new Results('detection');
const steady = new Results<Record<string, number | string>>('sts-steady-state');
/** Cycles the steady-state test waits for. */
const STEADY_CYCLES = 9;

/** Breaks this test adds to the shared table (lead-time.test.ts does not measure them). */
const PROBE_ONLY: Readonly<Record<string, readonly Break[]>> = {
  IRSA: [
    { name: 'token expired (kubelet stopped refreshing it)', scenario: 'expired-token', reason: 'token:token_expired' },
    { name: 'STS unavailable', scenario: 'sts-down', reason: 'sts:sts_unavailable' },
  ],
};

const WORLDS = BREAK_WORLDS.map((w) => ({ ...w, breaks: [...w.breaks, ...(PROBE_ONLY[w.mechanism] ?? [])] }));

for (const w of WORLDS) {
  describe(`${w.mechanism}: a break at run time is seen within the failure threshold, at the defaults`, { concurrency: 1 }, () => {
    let world: World;
    let serve: ServeProcess;
    let obs: Observer;
    const metrics = async (): Promise<string> => (await serve.get('/metrics')).body;
    const cycles = async (): Promise<number> => sampleValue(await metrics(), 'irsa_probe_cycles_total') ?? Number.NaN;
    before(async () => {
      world = await startWorld({ scenario: w.healthy });
      serve = await ServeProcess.start({ ...world.env }, probeArgs(TIMING));
      obs = new Observer(serve);
    });
    after(async () => {
      await serve?.stop();
      await world?.stop();
    });

    test('steady state: one STS call per cycle for IRSA (the assume), none for Pod Identity (the agent instead), no other STS call (GetCallerIdentity not at all)', async () => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
      // Past the start-up cycles (the first proves the identity): two more cycles.
      const settled = await cycles();
      await pollFor('two cycles after the baseline', async () => ((await cycles()) - settled >= 2 ? true : undefined), 30_000, SAMPLE_EVERY_MS);
      const c0 = await cycles();
      world.resetStats();
      const t0 = Date.now();
      // However long the machine takes to run them.
      await pollFor(`${STEADY_CYCLES} cycles`, async () => ((await cycles()) - c0 >= STEADY_CYCLES ? true : undefined), 60_000, SAMPLE_EVERY_MS);
      const stats = world.stats();
      const n = (await cycles()) - c0;
      const windowMs = Date.now() - t0;
      const assumes = stats.sts.AssumeRoleWithWebIdentity?.requests ?? 0;
      const agent = stats.podIdentity.credentials?.requests ?? 0;
      const identity = stats.sts.GetCallerIdentity?.requests ?? 0;
      steady.add({ group: w.mechanism, cycles: n, assumeRoleWithWebIdentity: assumes, getCallerIdentity: identity, podIdentityAgent: agent, seconds: windowMs / 1000, intervalMs: TIMING.intervalMs });
      assert.ok(n >= STEADY_CYCLES, `${n} cycles in ${windowMs} ms`);
      // The cycle in flight at either end may or may not be counted.
      const perCycle = w.mechanism === 'IRSA' ? assumes : agent;
      assert.ok(Math.abs(perCycle - n) <= 1, `${perCycle} ${w.mechanism === 'IRSA' ? 'AssumeRoleWithWebIdentity' : 'agent'} calls in ${n} cycles`);
      assert.equal(w.mechanism === 'IRSA' ? agent : assumes, 0);
      assert.equal(identity, 0, 'GetCallerIdentity ran although the identity did not change and the identity interval had not elapsed');
      const others = Object.entries(stats.sts).filter(([op, c]) => op !== 'AssumeRoleWithWebIdentity' && c.requests > 0);
      assert.deepEqual(others, [], 'STS calls other than AssumeRoleWithWebIdentity');
    });

    for (const b of w.breaks) {
      const [check, reason] = b.reason.split(':') as [CheckName, string];
      test(`${b.name}: /readyz 503 with ${b.reason} within ${TIMING.failureThreshold} cycles, 200 within two cycles of the fix`, async () => {
        await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
        const failuresBefore = sampleValue(await metrics(), 'irsa_check_failures_total', { check, reason }) ?? 0;
        const t0 = Date.now();
        await world.setScenario(b.scenario);
        let flip, t1;
        try {
          flip = await obs.until(`${b.name}: /readyz 503`, (s) => !s.ready, 30_000);
          // While the break is still on: what /readyz, /metrics and /status say.
          const readyz = await serve.get('/readyz');
          assert.equal(readyz.status, 503);
          assert.ok(readyz.body.includes(`[-]${check} failed: ${reason}`), `${b.name}: /readyz says ${readyz.body}`);
          assert.ok(readyz.body.includes(`consecutive failed cycles (threshold ${TIMING.failureThreshold})`), `${b.name}: /readyz says ${readyz.body}`);
          const text = await metrics();
          assert.ok((sampleValue(text, 'irsa_check_failures_total', { check, reason }) ?? 0) > failuresBefore, `irsa_check_failures_total{check="${check}",reason="${reason}"} did not grow`);
          assert.equal(sampleValue(text, 'irsa_probe_ready'), 0);
          assert.equal(sampleValue(text, 'irsa_probe_success'), 0);
          assert.equal(sampleValue(text, 'irsa_check_success', { check }), 0);
          const now = await obs.sample();
          assert.equal(now.status.readiness.ready, false);
          assert.equal(now.status.lastReport?.checks.find((c) => c.name === check)?.reason, reason);
        } finally {
          t1 = Date.now();
          await world.setScenario(w.healthy);
        }
        const up = await obs.until(`${b.name}: /readyz 200 again`, (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
        const m = results.add(summarise(obs, TIMING, { group: `detect (${w.mechanism})`, fault: b.name }, { t0, t1, flip, up }));

        assert.deepEqual(m.reasons, [b.reason], `${b.name}: reported ${m.reasons.join(', ')}`);
        assert.match(flip.cause, /consecutive failed cycles/);
        const startedAfter = (from: number, to: number) => obs.reportsIn(from, to).filter((r) => Date.parse(r.startedAt) >= from && endOf(r) <= to).length;
        const toBreak = startedAfter(t0, flip.at);
        assert.ok(toBreak <= TIMING.failureThreshold, `${b.name}: ${toBreak} cycles started after the break before /readyz turned 503`);
        assert.ok(m.detectMs! <= TIMING.timeoutMs + TIMING.failureThreshold * (TIMING.intervalMs * (1 + JITTER) + m.maxCycleMs) + SLACK_MS, `${b.name}: detected after ${m.detectMs} ms`);
        const toHeal = startedAfter(t1, up.at);
        assert.ok(toHeal <= 2, `${b.name}: ${toHeal} cycles after the fix before /readyz turned 200`);
        assert.equal(m.livezNon200, 0);
        assert.equal(sampleValue(await metrics(), 'irsa_probe_ready'), 1);
      });
    }
  });
}
