import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextDelay, Scheduler } from '../../src/scheduler.js';
import { FIRST_BACKOFF_MS, MAX_THROTTLE_FACTOR } from '../../src/timings.js';
import type { Report } from '../../src/types.js';

const mid = () => 0.5;
const report = (ok: boolean, reason?: 'throttled'): Report => ({
  ok,
  startedAt: new Date().toISOString(),
  durationMs: 1,
  checks: [{ name: 'sts', status: ok ? 'pass' : 'fail', durationMs: 1, message: '', findings: [], ...(reason ? { reason } : {}) }],
  facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' },
});

describe('scheduler delays', () => {
  const interval = 60_000;
  test('backs off from 1 s, doubling, up to the interval until the first success', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => nextDelay(interval, { everSucceeded: false, failuresBeforeFirstSuccess: n, consecutiveThrottles: 0 }, mid));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    assert.equal(nextDelay(interval, { everSucceeded: false, failuresBeforeFirstSuccess: 0, consecutiveThrottles: 0 }, mid), FIRST_BACKOFF_MS);
  });

  test('uses the interval with at most 10% jitter once healthy', () => {
    const state = { everSucceeded: true, failuresBeforeFirstSuccess: 0, consecutiveThrottles: 0 };
    assert.equal(nextDelay(interval, state, () => 0), 54_000);
    assert.equal(nextDelay(interval, state, () => 1), 66_000);
  });

  test('backs off exponentially while throttled, capped', () => {
    const d = (n: number) => nextDelay(interval, { everSucceeded: true, failuresBeforeFirstSuccess: 0, consecutiveThrottles: n }, mid);
    assert.deepEqual([d(1), d(2), d(3), d(10)], [2 * interval, 4 * interval, 8 * interval, MAX_THROTTLE_FACTOR * interval]);
  });
});

describe('scheduler loop', () => {
  test('runs the first cycle at once, never overlaps cycles, and stop() aborts the one in flight', async () => {
    let running = 0;
    let maxRunning = 0;
    let cycles = 0;
    let sawAbort = false;
    const scheduler = new Scheduler(
      (signal) =>
        new Promise<Report>((resolve) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          cycles += 1;
          const done = () => {
            running -= 1;
            resolve(report(true));
          };
          const timer = setTimeout(done, cycles < 3 ? 5 : 10_000);
          signal.addEventListener('abort', () => {
            sawAbort = true;
            clearTimeout(timer);
            done();
          });
        }),
      { intervalMs: 100, cycleBudgetMs: 1000, onReport: () => undefined, onBeat: () => undefined },
    );
    const started = Date.now();
    scheduler.start();
    while (cycles < 3) await new Promise((r) => setTimeout(r, 5));
    await scheduler.stop();
    assert.equal(maxRunning, 1);
    assert.ok(sawAbort, 'the in-flight cycle saw the abort');
    assert.ok(Date.now() - started < 2000);
    assert.equal(scheduler.cycleCount, 2, 'the aborted cycle is not counted');
  });

  test('reports each finished cycle and heartbeats', async () => {
    const reports: Report[] = [];
    let beats = 0;
    const scheduler = new Scheduler(async () => report(false, 'throttled'), { intervalMs: 100, cycleBudgetMs: 1000, onReport: (r) => reports.push(r), onBeat: () => void beats++ });
    scheduler.start();
    await new Promise((r) => setTimeout(r, 150));
    await scheduler.stop();
    assert.equal(reports.length, 1, 'throttling pushed the second cycle out past 150 ms');
    assert.ok(beats >= 2);
  });
});
