import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Health, NO_SUCCESS_YET, formatAge, type HealthOptions } from '../../src/health.js';
import type { CheckResult, Report } from '../../src/types.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const S = 1000;

function report(ok: boolean, failing: Partial<CheckResult> = {}): Report {
  const checks: CheckResult[] = [
    { name: 'env', status: 'pass', durationMs: 1, message: 'irsa', findings: [] },
    ok
      ? { name: 'sts', status: 'pass', durationMs: 20, message: 'assumed', findings: [] }
      : { name: 'sts', status: 'fail', durationMs: 20, reason: 'trust_policy_mismatch', message: 'denied', findings: [], ...failing },
    { name: 's3', status: 'skip', durationMs: 0, message: 'no bucket', findings: [] },
  ];
  return { ok, startedAt: new Date(T0).toISOString(), durationMs: 21, checks, facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' } };
}
const PASS = report(true);
const FAIL = report(false);

function health(opts: Partial<HealthOptions> = {}): Health {
  return new Health({ successThreshold: 1, failureThreshold: 3, staleAfterMs: 180 * S, heartbeatTimeoutMs: 180 * S, createdAt: T0, ...opts });
}

/** Records the sequence one second apart from T0 and returns the readiness after each. */
function run(h: Health, seq: readonly boolean[]): boolean[] {
  return seq.map((ok, i) => {
    h.record(ok ? PASS : FAIL, T0 + (i + 1) * S);
    return h.readiness(T0 + (i + 1) * S).ready;
  });
}

describe('Health readiness', () => {
  it('is not ready before any cycle, with no checks and the "no successful cycle yet" cause', () => {
    const r = health().readiness(T0);
    assert.deepEqual(r, { ready: false, cause: NO_SUCCESS_YET, checks: [] });
  });

  it('stays not ready through failures before the first success, whatever their number', () => {
    const h = health();
    assert.deepEqual(run(h, [false, false, false, false]), [false, false, false, false]);
    assert.equal(h.readiness(T0 + 5 * S).cause, NO_SUCCESS_YET);
    assert.deepEqual(h.history(), []);
  });

  it('becomes ready on the first success and returns that transition', () => {
    const h = health();
    const t = h.record(PASS, T0 + S);
    assert.ok(t);
    assert.equal(t.ready, true);
    assert.equal(t.at, new Date(T0 + S).toISOString());
    assert.match(t.cause, /1 consecutive successful cycle$/);
    assert.equal(h.readiness(T0 + S).ready, true);
    assert.deepEqual(h.history(), [t]);
  });

  const table: ReadonlyArray<{ name: string; opts: Partial<HealthOptions>; seq: boolean[]; ready: boolean[] }> = [
    { name: 'needs successThreshold consecutive successes', opts: { successThreshold: 3 }, seq: [true, true, true, true], ready: [false, false, true, true] },
    { name: 'a failure resets the success count', opts: { successThreshold: 2 }, seq: [true, false, true, true], ready: [false, false, false, true] },
    { name: 'stays ready below the failure threshold (hysteresis)', opts: {}, seq: [true, false, false], ready: [true, true, true] },
    { name: 'becomes not ready at the failure threshold', opts: {}, seq: [true, false, false, false, false], ready: [true, true, true, false, false] },
    { name: 'a success between failures resets the failure count', opts: {}, seq: [true, false, false, true, false, false], ready: [true, true, true, true, true, true] },
    { name: 'recovers after successThreshold successes', opts: { failureThreshold: 1, successThreshold: 2 }, seq: [true, true, false, true, true], ready: [false, true, false, false, true] },
    { name: 'failure threshold 1 drops readiness on the first failure', opts: { failureThreshold: 1 }, seq: [true, false, true], ready: [true, false, true] },
  ];
  for (const c of table) {
    it(c.name, () => {
      assert.deepEqual(run(health(c.opts), c.seq), c.ready);
    });
  }

  it('names the failing checks and the count once the failure threshold is reached', () => {
    const h = health();
    run(h, [true, false, false]);
    const t = h.record(FAIL, T0 + 10 * S);
    assert.ok(t);
    assert.equal(t.ready, false);
    assert.equal(t.cause, '3 consecutive failed cycles (threshold 3): sts failed: trust_policy_mismatch');
    const r = h.readiness(T0 + 10 * S);
    assert.equal(r.cause, t.cause);
    assert.deepEqual(r.checks, FAIL.checks);
  });

  it('reports failures below the threshold in the cause while staying ready', () => {
    const h = health();
    run(h, [true, false]);
    const r = h.readiness(T0 + 2 * S);
    assert.equal(r.ready, true);
    assert.match(r.cause, /1 consecutive failed cycle, below threshold 3: sts failed: trust_policy_mismatch/);
  });

  it('returns a transition only when the verdict changes', () => {
    const h = health();
    const seen = [PASS, PASS, FAIL, FAIL, FAIL, FAIL, PASS].map((r, i) => h.record(r, T0 + i * S)?.ready);
    assert.deepEqual(seen, [true, undefined, undefined, undefined, false, undefined, true]);
    assert.deepEqual(h.history().map((t) => t.ready), [true, false, true]);
  });

  it('exposes the last report and the time of the last success', () => {
    const h = health();
    assert.equal(h.lastReport(), undefined);
    assert.equal(h.lastSuccessAt(), undefined);
    h.record(PASS, T0 + S);
    h.record(FAIL, T0 + 2 * S);
    assert.equal(h.lastReport(), FAIL);
    assert.equal(h.lastSuccessAt(), T0 + S);
  });
});

describe('Health staleness', () => {
  it('turns not ready at read time once the last finished cycle is older than staleAfterMs', () => {
    const h = health();
    h.record(PASS, T0);
    assert.equal(h.readiness(T0 + 180 * S).ready, true, 'exactly staleAfter is still fresh');
    const r = h.readiness(T0 + 190 * S);
    assert.equal(r.ready, false);
    assert.equal(r.cause, 'last finished cycle 190s ago, stale after 180s');
    assert.deepEqual(r.checks, PASS.checks);
  });

  it('appends the stale transition to history once, however often it is read', () => {
    const h = health();
    h.record(PASS, T0);
    for (let i = 0; i < 5; i++) h.readiness(T0 + (200 + i) * S);
    const hist = h.history();
    assert.equal(hist.length, 2);
    assert.equal(hist[1]?.ready, false);
    assert.equal(hist[1]?.cause, 'last finished cycle 200s ago, stale after 180s');
    assert.equal(hist[1]?.at, new Date(T0 + 200 * S).toISOString());
  });

  it('recovers from staleness on the next success and records that transition', () => {
    const h = health();
    h.record(PASS, T0);
    h.readiness(T0 + 200 * S);
    const t = h.record(PASS, T0 + 201 * S);
    assert.equal(t?.ready, true);
    assert.equal(h.readiness(T0 + 201 * S).ready, true);
    assert.deepEqual(h.history().map((x) => x.ready), [true, false, true]);
  });

  it('does not go stale while failing below the threshold: failures count, staleness is for a stalled scheduler', () => {
    const h = health({ staleAfterMs: 10 * S });
    h.record(PASS, T0);
    h.record(FAIL, T0 + 8 * S);
    const t = h.record(FAIL, T0 + 16 * S);
    assert.equal(t, undefined, 'two failures below threshold 3, last success 16 s ago: still ready');
    assert.equal(h.readiness(T0 + 16 * S).ready, true);
    assert.match(h.readiness(T0 + 16 * S).cause, /^2 consecutive failed cycles, below threshold 3/);
    assert.equal(h.readiness(T0 + 27 * S).ready, false, 'no cycle finished for 11 s: stale');
    assert.equal(h.readiness(T0 + 27 * S).cause, 'last finished cycle 11s ago, stale after 10s');
    const third = h.record(FAIL, T0 + 28 * S);
    assert.equal(third, undefined, 'already not ready');
    assert.match(h.readiness(T0 + 28 * S).cause, /^3 consecutive failed cycles \(threshold 3\)/);
  });

  it('formats sub-second ages in milliseconds', () => {
    const h = health({ staleAfterMs: 300 });
    h.record(PASS, T0);
    assert.equal(h.readiness(T0 + 450).cause, 'last finished cycle 450ms ago, stale after 300ms');
    assert.deepEqual([formatAge(999), formatAge(1000), formatAge(61_999)], ['999ms', '1s', '61s']);
  });
});

describe('Health history', () => {
  it('keeps only the last historySize transitions, oldest first', () => {
    const h = health({ historySize: 3, failureThreshold: 1 });
    for (let i = 0; i < 10; i++) h.record(i % 2 === 0 ? PASS : FAIL, T0 + i * S);
    const hist = h.history();
    assert.equal(hist.length, 3);
    assert.deepEqual(hist.map((t) => t.at), [7, 8, 9].map((i) => new Date(T0 + i * S).toISOString()));
    assert.deepEqual(hist.map((t) => t.ready), [false, true, false]);
  });

  it('defaults to 20 entries', () => {
    const h = health({ failureThreshold: 1 });
    for (let i = 0; i < 50; i++) h.record(i % 2 === 0 ? PASS : FAIL, T0 + i * S);
    assert.equal(h.history().length, 20);
  });

  it('returns a copy the caller cannot use to alter the state', () => {
    const h = health();
    h.record(PASS, T0);
    (h.history() as unknown as unknown[]).length = 0;
    assert.equal(h.history().length, 1);
  });
});

describe('Health liveness', () => {
  it('is live before the first beat for heartbeatTimeoutMs after construction, then not', () => {
    const h = health({ heartbeatTimeoutMs: 30 * S });
    assert.equal(h.live(T0 + 30 * S).live, true);
    const dead = h.live(T0 + 31 * S);
    assert.equal(dead.live, false);
    assert.equal(dead.cause, 'no scheduler heartbeat since start, timeout 30s');
  });

  it('is live while the last heartbeat is newer than the timeout, then names its age', () => {
    const h = health({ heartbeatTimeoutMs: 30 * S });
    h.beat(T0 + 100 * S);
    assert.deepEqual(h.live(T0 + 110 * S), { live: true, cause: 'scheduler heartbeat 10s ago' });
    assert.deepEqual(h.live(T0 + 140 * S), { live: false, cause: 'last scheduler heartbeat 40s ago, timeout 30s' });
    h.beat(T0 + 141 * S);
    assert.equal(h.live(T0 + 141 * S).live, true);
  });

  it('counts a recorded cycle as a heartbeat', () => {
    const h = health({ heartbeatTimeoutMs: 30 * S });
    h.record(FAIL, T0 + 100 * S);
    assert.equal(h.live(T0 + 120 * S).live, true);
  });

  it('does not depend on readiness', () => {
    const h = health({ heartbeatTimeoutMs: 30 * S, failureThreshold: 1 });
    h.record(FAIL, T0 + S);
    assert.equal(h.readiness(T0 + S).ready, false);
    assert.equal(h.live(T0 + S).live, true);
  });
});

describe('Health options', () => {
  const bad: ReadonlyArray<[string, Partial<HealthOptions>]> = [
    ['successThreshold', { successThreshold: 0 }],
    ['failureThreshold', { failureThreshold: 1.5 }],
    ['staleAfterMs', { staleAfterMs: 0 }],
    ['heartbeatTimeoutMs', { heartbeatTimeoutMs: Number.NaN }],
    ['historySize', { historySize: -1 }],
  ];
  for (const [name, opts] of bad) {
    it(`rejects an invalid ${name} naming the option`, () => {
      assert.throws(() => health(opts), (e: unknown) => e instanceof RangeError && e.message.startsWith(name));
    });
  }
});

describe('Health invariants (property-based)', () => {
  it('holds for any sequence of cycles and thresholds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (successThreshold, failureThreshold, historySize, seq) => {
          const h = health({ successThreshold, failureThreshold, historySize });
          const returned: boolean[] = [];
          let everSucceeded = false;
          let runOk = 0;
          let runFail = 0;
          let prevReady = false;
          seq.forEach((ok, i) => {
            const at = T0 + (i + 1) * S;
            const t = h.record(ok ? PASS : FAIL, at);
            everSucceeded ||= ok;
            runOk = ok ? runOk + 1 : 0;
            runFail = ok ? 0 : runFail + 1;
            const { ready } = h.readiness(at);
            if (!everSucceeded) assert.equal(ready, false, 'never ready before the first success');
            if (runOk >= successThreshold) assert.equal(ready, true, 'ready after successThreshold successes');
            if (runFail >= failureThreshold) assert.equal(ready, false, 'not ready after failureThreshold failures');
            if (!ok && runFail < failureThreshold) assert.equal(ready, prevReady, 'hysteresis: a failure below the threshold changes nothing');
            assert.equal(t !== undefined, ready !== prevReady, 'a transition is returned exactly when the verdict changes');
            if (t) returned.push(t.ready);
            prevReady = ready;
          });
          const hist = h.history();
          assert.ok(hist.length <= historySize);
          assert.deepEqual(hist.map((t) => t.ready), returned.slice(-historySize));
          hist.forEach((t, i) => i > 0 && assert.notEqual(t.ready, hist[i - 1]!.ready, 'transitions alternate'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
