import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, percentile, summarize } from '../../bench/stats.js';

describe('bench statistics', () => {
  const cases: Array<{ name: string; values: number[]; p: number; expected: number }> = [
    { name: 'median of an odd count is the middle value', values: [5, 1, 3], p: 50, expected: 3 },
    { name: 'median of an even count is the mean of the middle two', values: [4, 1, 3, 2], p: 50, expected: 2.5 },
    { name: 'p0 is the minimum', values: [9, 2, 7], p: 0, expected: 2 },
    { name: 'p100 is the maximum', values: [9, 2, 7], p: 100, expected: 9 },
    { name: 'p99 interpolates between the two highest ranks', values: Array.from({ length: 101 }, (_, i) => i), p: 99, expected: 99 },
    { name: 'p90 of 1..10 interpolates linearly', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p: 90, expected: 9.1 },
    { name: 'a single sample is every percentile', values: [42], p: 75, expected: 42 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.ok(Math.abs(percentile(c.values, c.p) - c.expected) < 1e-9, `${percentile(c.values, c.p)} != ${c.expected}`));
  }

  it('does not reorder the caller array', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('summarizes count, median, min and max', () => {
    assert.deepEqual(summarize([10, 30, 20, 40]), { n: 4, median: 25, min: 10, max: 40 });
  });

  const bad: Array<{ name: string; run: () => unknown }> = [
    { name: 'no samples', run: () => median([]) },
    { name: 'a NaN sample', run: () => summarize([1, Number.NaN]) },
    { name: 'an infinite sample', run: () => median([1, Infinity]) },
    { name: 'a percentile above 100', run: () => percentile([1, 2], 101) },
    { name: 'a negative percentile', run: () => percentile([1, 2], -1) },
  ];
  for (const b of bad) it(`rejects ${b.name}`, () => assert.throws(b.run, RangeError));
});
