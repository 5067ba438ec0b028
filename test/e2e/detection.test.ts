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
import { startWorld, type ScenarioName, type World } from '../../sandbox/world.js';
import { loadConfig } from '../../src/config.js';
import { ServeProcess } from '../helpers/process.js';
import { endOf, JITTER, Observer, pollFor, Results, SAMPLE_EVERY_MS, SLACK_MS, sleep, summarise, type Timing } from './faults-harness.js';

/** The probe's defaults; the only setting the test changes is the interval (default 60 s). */
const DEFAULTS = loadConfig(['serve'], {}).config;
const TIMING: Timing = { intervalMs: 500, timeoutMs: DEFAULTS.timeoutMs, failureThreshold: DEFAULTS.failureThreshold };
const results = new Results('detection');
const steady = new Results<Record<string, number | string>>('sts-steady-state');
const STEADY_MS = 5_000;

interface Break {
  readonly name: string;
  readonly scenario: ScenarioName;
  readonly reason: string;
}

/** One world (and one probe) per mechanism; each break is a scenario, healed by the world's own. */
const WORLDS: ReadonlyArray<{ mechanism: string; healthy: ScenarioName; breaks: readonly Break[] }> = [
  {
    mechanism: 'IRSA',
    healthy: 'healthy',
    breaks: [
      { name: 'trust policy names another service account', scenario: 'wrong-subject', reason: 'sts:trust_policy_mismatch' },
      { name: 'OIDC provider deleted', scenario: 'no-oidc-provider', reason: 'sts:oidc_provider_missing' },
      { name: 'OIDC provider thumbprint stale', scenario: 'bad-thumbprint', reason: 'sts:oidc_thumbprint' },
      { name: 'audience removed from the OIDC provider', scenario: 'wrong-audience', reason: 'sts:token_audience' },
      { name: 'role deleted', scenario: 'role-deleted', reason: 'sts:trust_policy_mismatch' },
      { name: 'S3 permission removed', scenario: 's3-denied', reason: 's3:s3_access_denied' },
    ],
  },
  {
    mechanism: 'Pod Identity',
    healthy: 'pod-identity',
    breaks: [
      { name: 'pod identity association deleted', scenario: 'pod-identity-unassociated', reason: 'sts:pod_identity_error' },
      { name: 'Pod Identity agent down', scenario: 'pod-identity-agent-down', reason: 'sts:network' },
    ],
  },
];

for (const w of WORLDS) {
  describe(`${w.mechanism}: a break at run time is seen within the failure threshold, at the defaults`, () => {
    let world: World;
    let serve: ServeProcess;
    let obs: Observer;
    before(async () => {
      world = await startWorld({ scenario: w.healthy });
      serve = await ServeProcess.start({ ...world.env }, ['--interval', `${TIMING.intervalMs}ms`]);
      obs = new Observer(serve);
    });
    after(async () => {
      await serve?.stop();
      await world?.stop();
    });

    test('steady state: one STS call per cycle for IRSA (the assume), none for Pod Identity (the agent instead), GetCallerIdentity not at all', async () => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
      await sleep(TIMING.intervalMs * 2);
      const cycles = async () => Number(/^irsa_probe_cycles_total (\d+)/m.exec((await serve.get('/metrics')).body)?.[1]);
      const c0 = await cycles();
      world.resetStats();
      await sleep(STEADY_MS);
      // At least five cycles, however long the machine takes to run them.
      await pollFor('five cycles', async () => ((await cycles()) - c0 >= 5 ? true : undefined), 60_000, SAMPLE_EVERY_MS);
      const stats = world.stats();
      const n = (await cycles()) - c0;
      const assumes = stats.sts.AssumeRoleWithWebIdentity?.requests ?? 0;
      const agent = stats.podIdentity.credentials?.requests ?? 0;
      const identity = stats.sts.GetCallerIdentity?.requests ?? 0;
      steady.add({ group: w.mechanism, cycles: n, assumeRoleWithWebIdentity: assumes, getCallerIdentity: identity, podIdentityAgent: agent, seconds: STEADY_MS / 1000, intervalMs: TIMING.intervalMs });
      assert.ok(n >= 5, `${n} cycles in ${STEADY_MS} ms`);
      // The cycle in flight at either end may or may not be counted.
      const perCycle = w.mechanism === 'IRSA' ? assumes : agent;
      assert.ok(Math.abs(perCycle - n) <= 1, `${perCycle} ${w.mechanism === 'IRSA' ? 'AssumeRoleWithWebIdentity' : 'agent'} calls in ${n} cycles`);
      assert.equal(w.mechanism === 'IRSA' ? agent : assumes, 0);
      assert.equal(identity, 0, 'GetCallerIdentity ran although the identity did not change and the identity interval had not elapsed');
    });

    for (const b of w.breaks) {
      test(`${b.name}: /readyz 503 with ${b.reason} within ${TIMING.failureThreshold} cycles, 200 within two cycles of the fix`, async () => {
        await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
        const t0 = Date.now();
        await world.setScenario(b.scenario);
        const flip = await obs.until(`${b.name}: /readyz 503`, (s) => !s.ready, 30_000);
        const t1 = Date.now();
        await world.setScenario(w.healthy);
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
      });
    }
  });
}
