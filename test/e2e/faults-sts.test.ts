/**
 * STS faults, end to end: a real `serve` process against the sandbox, with a
 * recording proxy (HttpTap) between the probe and STS. For each fault: every
 * cycle ends within its timeout, cycles never overlap, /livez stays 200,
 * readiness turns only after the failure threshold, and comes back within
 * about one interval after the fault clears; under throttling the spacing
 * between STS calls grows. Measurements go to .tmp/reliability/faults-sts.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import { ServeProcess } from '../helpers/process.js';
import { assertSurvived, FAST, HttpTap, JITTER, measureFault, Observer, probeArgs, recoveryBound, Results, SLACK_MS, sleep, summarise, type Timing } from './faults-harness.js';
import { sampleValue } from '../helpers/prom.js';

const TIMING: Timing = FAST;
const results = new Results('faults-sts');


describe('STS faults against a running probe', () => {
  let world: World;
  let tap: HttpTap;
  let serve: ServeProcess;
  let obs: Observer;
  const recoverWithin = recoveryBound(TIMING);

  before(async () => {
    world = await startWorld();
    tap = await HttpTap.start(world.stsUrl);
    serve = await ServeProcess.start({ ...world.env, AWS_ENDPOINT_URL_STS: tap.url, IRSA_PROBE_S3_BUCKET: '' }, probeArgs(TIMING));
    obs = new Observer(serve);
  });
  after(async () => {
    await serve?.stop();
    await tap?.close();
    await world?.stop();
  });

  const faults: ReadonlyArray<{ fault: string; on: () => Promise<void>; off: () => Promise<void>; reasons: string[]; notes?: string }> = [
    { fault: 'STS slower than the timeout (2 s delay)', on: () => world.setFault({ stsDelayMs: 2_000 }), off: () => world.resetFaults(), reasons: ['sts:timeout'] },
    { fault: 'STS hangs (accepts, never answers)', on: () => world.setFault({ stsHang: true }), off: () => world.resetFaults(), reasons: ['sts:timeout'] },
    {
      fault: 'STS refuses connections',
      on: () => tap.setRefusing(true),
      off: () => tap.setRefusing(false),
      reasons: ['sts:network'],
      notes: 'the listener in front of STS is closed (ECONNREFUSED) and reopened on the same port',
    },
    { fault: 'STS answers 503 ServiceUnavailable', on: () => world.setFault({ stsStatus: 503 }), off: () => world.resetFaults(), reasons: ['sts:sts_unavailable'] },
    { fault: 'STS answers 500 InternalFailure', on: () => world.setFault({ stsStatus: 500 }), off: () => world.resetFaults(), reasons: ['sts:sts_unavailable'] },
    {
      fault: 'IDPCommunicationError on AssumeRoleWithWebIdentity',
      on: () => world.setFault({ stsIdpError: true }),
      off: () => world.resetFaults(),
      reasons: ['sts:oidc_key_unavailable'],
    },
  ];

  for (const f of faults) {
    test(`survives: ${f.fault}`, async () => {
      const m = results.add(await measureFault(obs, TIMING, { group: 'sts', fault: f.fault, apply: f.on, clear: f.off, ...(f.notes ? { notes: f.notes } : {}) }));
      assertSurvived(m, f.reasons, recoverWithin);
      assert.ok(tap.maxInFlight <= 1, `the probe had ${tap.maxInFlight} STS requests in flight at once`);
    });
  }

  test('backs off under throttling: the spacing between STS calls grows, then recovers', async () => {
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
    // Each gap at least doubles until the cap (8 intervals), with jitter.
    assert.ok(gaps[1]! >= gaps[0]! * 1.5 && gaps[2]! >= gaps[1]! * 1.5, `spacing did not grow: ${gaps.join(', ')} ms`);
    assert.ok(Math.max(...gaps) <= 8 * TIMING.intervalMs * (1 + JITTER) + TIMING.timeoutMs + SLACK_MS, `spacing beyond the cap: ${gaps.join(', ')} ms`);
    assert.equal(m.overlaps, 0);
    assert.equal(m.livezNon200, 0, '/livez failed while throttled');
    assert.ok(m.failuresAtFlip === null || m.failuresAtFlip >= TIMING.failureThreshold, `readiness turned after ${m.failuresAtFlip} consecutive failed cycles (threshold ${TIMING.failureThreshold}); cause: ${m.flipCause}`);
    // After the last throttled call the probe may sleep up to 8 intervals before it tries again.
    assert.ok(m.recoverMs! <= 8 * TIMING.intervalMs * (1 + JITTER) + SLACK_MS, `recovery took ${m.recoverMs} ms`);
  });

  test('a steady healthy probe makes one STS call per cycle (AssumeRoleWithWebIdentity only: the identity is unchanged)', async () => {
    const cyclesTotal = async () => sampleValue((await serve.get('/metrics')).body, 'irsa_probe_cycles_total') ?? Number.NaN;
    await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
    await sleep(TIMING.intervalMs * 3);
    const [c0, t0] = [await cyclesTotal(), Date.now()];
    await sleep(TIMING.intervalMs * 8);
    const [c1, t1] = [await cyclesTotal(), Date.now()];
    const calls = tap.calls().filter((e) => e.startedAt >= t0 && e.startedAt <= t1);
    const actions = calls.map((e) => e.action).join(', ');
    assert.ok(c1 - c0 >= 4, `only ${c1 - c0} cycles in ${t1 - t0} ms`);
    assert.ok(calls.every((e) => e.action === 'AssumeRoleWithWebIdentity'), actions);
    // The cycle in flight at either end may have made its call outside the counted cycles.
    assert.ok(Math.abs(calls.length - (c1 - c0)) <= 1, `${calls.length} STS calls (${actions}) for ${c1 - c0} cycles`);
  });
});

describe('STS name that does not resolve', () => {
  test('every cycle fails fast with reason network, within its timeout, and /livez stays 200', async () => {
    const world = await startWorld();
    const serve = await ServeProcess.start({ ...world.env, AWS_ENDPOINT_URL_STS: 'http://sts.invalid:1', IRSA_PROBE_S3_BUCKET: '' }, probeArgs(TIMING));
    try {
      const obs = new Observer(serve);
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
    } finally {
      await serve.stop();
      await world.stop();
    }
  });
});
