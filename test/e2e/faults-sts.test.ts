/**
 * STS faults, end to end: a real `serve` process against the sandbox, with a
 * recording proxy (HttpTap) between the probe and STS. For each fault: every
 * cycle ends within its timeout, cycles never overlap, /livez stays 200,
 * readiness turns only after the failure threshold, and comes back within
 * about one interval after the fault clears; under throttling the spacing
 * between STS calls grows. Measurements go to .tmp/reliability/faults-sts.json.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertSurvived, FAST, JITTER, measureFault, recoveryBound, Results, SLACK_MS, summarise, withProbe, type Probed, type ProbeSetup, type Timing } from './faults-harness.js';
import { MAX_THROTTLE_FACTOR } from '../../src/timings.js';

const TIMING: Timing = FAST;
const results = new Results('faults-sts');
/** Each case runs a probe of its own, with a tap in front of STS and no S3 check. */
const STS_TAPPED: ProbeSetup = { tapping: (w) => w.stsUrl, env: (p) => ({ ...p.world.env, AWS_ENDPOINT_URL_STS: p.tap.url, IRSA_PROBE_S3_BUCKET: '' }) };

describe('STS faults against a running probe', { concurrency: true }, () => {
  const recoverWithin = recoveryBound(TIMING);
  const faults: ReadonlyArray<{ fault: string; on: (p: Probed) => Promise<void>; off: (p: Probed) => Promise<void>; reasons: string[]; notes?: string }> = [
    {
      fault: `STS slower than the timeout (${(TIMING.timeoutMs + 1_000) / 1000} s delay)`,
      on: (p) => p.world.setFault({ stsDelayMs: TIMING.timeoutMs + 1_000 }),
      off: (p) => p.world.resetFaults(),
      reasons: ['sts:timeout'],
    },
    { fault: 'STS hangs (accepts, never answers)', on: (p) => p.world.setFault({ stsHang: true }), off: (p) => p.world.resetFaults(), reasons: ['sts:timeout'] },
    {
      fault: 'STS refuses connections',
      on: (p) => p.tap.setRefusing(true),
      off: (p) => p.tap.setRefusing(false),
      reasons: ['sts:network'],
      notes: 'the listener in front of STS is closed (ECONNREFUSED) and reopened on the same port',
    },
    { fault: 'STS answers 503 ServiceUnavailable', on: (p) => p.world.setFault({ stsStatus: 503 }), off: (p) => p.world.resetFaults(), reasons: ['sts:sts_unavailable'] },
    { fault: 'STS answers 500 InternalFailure', on: (p) => p.world.setFault({ stsStatus: 500 }), off: (p) => p.world.resetFaults(), reasons: ['sts:sts_unavailable'] },
    {
      fault: 'IDPCommunicationError on AssumeRoleWithWebIdentity',
      on: (p) => p.world.setFault({ stsIdpError: true }),
      off: (p) => p.world.resetFaults(),
      reasons: ['sts:oidc_key_unavailable'],
    },
  ];

  for (const f of faults) {
    test(`survives: ${f.fault}`, () =>
      withProbe(STS_TAPPED, async (p) => {
        const m = results.add(await measureFault(p.obs, TIMING, { group: 'sts', fault: f.fault, apply: () => f.on(p), clear: () => f.off(p), ...(f.notes ? { notes: f.notes } : {}) }));
        assertSurvived(m, f.reasons, recoverWithin);
        assert.ok(p.tap.maxInFlight <= 1, `the probe had ${p.tap.maxInFlight} STS requests in flight at once`);
      }));
  }

  test('backs off under throttling: the spacing between STS calls grows, then recovers', () =>
    withProbe(STS_TAPPED, async ({ world, tap, obs }) => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const t0 = Date.now();
      await world.setFault({ stsThrottleShare: 1 });
      // Throttled calls at 2, 4, 8, 8 intervals: wait for five of them.
      const throttled = () => tap.calls().filter((e) => e.startedAt >= t0 && /Throttling/.test(e.responseBody));
      const deadline = Date.now() + 40_000;
      while (throttled().length < 5 && Date.now() < deadline) await obs.watch(200);
      const t1 = Date.now();
      await world.resetFaults();
      const up = await obs.until('/readyz 200 after throttling', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const flip = obs.samplesIn(t0, t1).find((s) => !s.ready);
      const starts = throttled().map((e) => e.startedAt);
      const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
      const m = results.add({
        ...summarise(obs, TIMING, { group: 'sts', fault: 'STS throttles every call (Throttling: Rate exceeded)' }, { t0, t1, up, ...(flip ? { flip } : {}) }),
        notes: `gaps between throttled STS calls: ${gaps.map((g) => `${g} ms`).join(', ')}`,
      });
      assert.ok(starts.length >= 5, `only ${starts.length} throttled calls in 40 s`);
      assert.ok(m.reasons.every((r) => r === 'sts:throttled'), m.reasons.join(', '));
      // The k-th throttled call waits 2^k intervals (at most MAX_THROTTLE_FACTOR) less the jitter, whatever each
      // cycle itself took: a floor by construction, where a ratio between two gaps depends on the cycles' own times.
      gaps.slice(0, 4).forEach((gap, k) => {
        const floor = Math.min(2 ** (k + 1), MAX_THROTTLE_FACTOR) * TIMING.intervalMs * (1 - JITTER);
        assert.ok(gap >= floor, `spacing did not grow: gap ${k + 1} was ${gap} ms, below ${floor} ms (${gaps.join(', ')} ms)`);
      });
      assert.ok(Math.max(...gaps) <= MAX_THROTTLE_FACTOR * TIMING.intervalMs * (1 + JITTER) + TIMING.timeoutMs + SLACK_MS, `spacing beyond the cap: ${gaps.join(', ')} ms`);
      assert.equal(m.overlaps, 0);
      assert.equal(m.livezNon200, 0, '/livez failed while throttled');
      assert.ok(m.failuresAtFlip === null || m.failuresAtFlip >= TIMING.failureThreshold, `readiness turned after ${m.failuresAtFlip} consecutive failed cycles (threshold ${TIMING.failureThreshold}); cause: ${m.flipCause}`);
      // After the last throttled call the probe may sleep up to 8 intervals before it tries again.
      assert.ok(m.recoverMs! <= MAX_THROTTLE_FACTOR * TIMING.intervalMs * (1 + JITTER) + SLACK_MS, `recovery took ${m.recoverMs} ms`);
    }));
});

describe('STS name that does not resolve', () => {
  test('every cycle fails fast with reason network, within its timeout, and /livez stays 200', () =>
    withProbe({ env: (p) => ({ ...p.world.env, AWS_ENDPOINT_URL_STS: 'http://sts.invalid:1', IRSA_PROBE_S3_BUCKET: '' }) }, async ({ world, serve, obs }) => {
      const t0 = Date.now();
      await obs.until('four failed cycles', () => obs.reportsIn(t0).filter((r) => !r.ok).length >= 4, 30_000);
      const m = results.add({ ...summarise(obs, TIMING, { group: 'sts', fault: 'STS host name does not resolve (sts.invalid)', notes: 'never ready: no first success; the environment is fixed for the pod, so there is no recovery to measure' }, { t0, t1: Date.now() }) });
      assert.deepEqual(m.reasons, ['sts:network']);
      assert.ok(m.maxCycleMs <= TIMING.timeoutMs + 1_000, `a cycle took ${m.maxCycleMs} ms`);
      assert.equal(m.overlaps, 0);
      assert.equal(m.livezNon200, 0);
      const readyz = await serve.get('/readyz');
      assert.equal(readyz.status, 503);
      assert.equal(world.stats().sts.AssumeRoleWithWebIdentity, undefined, 'a request reached the sandbox STS');
    }));
});
