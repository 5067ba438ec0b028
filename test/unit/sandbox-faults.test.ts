import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FaultError, parseFaults, ShareGate } from '../../sandbox/faults.js';

describe('fault knobs', () => {
  test('valid knobs pass through unchanged', () => {
    const knobs = { stsDelayMs: 250, stsHang: true, stsStatus: 503, stsThrottleShare: 0.5, s3FlakyShare: 1, tokenRotation: 'stopped', tokenContent: 'garbage' };
    assert.deepEqual(parseFaults(knobs), knobs);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', [1], /JSON object/],
    ['an unknown knob', { stsBroken: true }, /unknown fault knob "stsBroken"/],
    ['a share above 1', { stsThrottleShare: 1.5 }, /stsThrottleShare must be a number from 0 to 1/],
    ['a status that is not 5xx', { stsStatus: 404 }, /stsStatus must be 0 \(off\) or a 5xx status/],
    ['a negative delay', { stsDelayMs: -1 }, /stsDelayMs must be a whole number/],
    ['a string for a boolean', { s3Deny: 'yes' }, /s3Deny must be true or false/],
    ['an unknown token content', { tokenContent: 'stale' }, /tokenContent must be one of valid, expired, garbage, empty, future-iat/],
  ];
  for (const [what, input, message] of bad) {
    test(`refuses ${what} with a message naming the knob`, () => {
      assert.throws(() => parseFaults(input), (e: unknown) => e instanceof FaultError && message.test(e.message));
    });
  }
});

describe('share gate', () => {
  const draw = (gate: ShareGate, share: number, n: number): boolean[] => Array.from({ length: n }, () => gate.hit(share));

  test('share 0 never hits and share 1 always hits', () => {
    const gate = new ShareGate();
    assert.ok(draw(gate, 0, 200).every((hit) => !hit));
    assert.ok(draw(gate, 1, 200).every((hit) => hit));
  });

  for (const share of [0.1, 0.5, 0.9]) {
    test(`share ${share} hits about that share of 2000 calls`, () => {
      const hits = draw(new ShareGate(), share, 2000).filter(Boolean).length;
      assert.ok(Math.abs(hits / 2000 - share) < 0.05, `${hits} hits`);
    });
  }

  test('is reproducible: two gates give the same sequence', () => {
    assert.deepEqual(draw(new ShareGate(), 0.5, 100), draw(new ShareGate(), 0.5, 100));
  });

  test('at share 0.5 both calls of a two-call cycle sometimes succeed and sometimes fail (no fixed rhythm)', () => {
    const calls = draw(new ShareGate(), 0.5, 200);
    const pairs = Array.from({ length: 100 }, (_, i) => [calls[2 * i], calls[2 * i + 1]]);
    assert.ok(pairs.some(([a, b]) => !a && !b));
    assert.ok(pairs.some(([a, b]) => a && b));
  });
});
