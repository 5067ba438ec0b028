import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DURATION_FORM, DurationError, formatDuration, MAX_DURATION_TEXT, parseDuration } from '../../src/duration.js';

describe('parseDuration', () => {
  const valid: Array<[string, number]> = [
    ['0', 0],
    ['0s', 0],
    ['100ms', 100],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.25h', 900_000],
    ['2.5m', 150_000],
    ['007s', 7_000],
    ['24h', 86_400_000],
  ];
  for (const [text, ms] of valid) {
    test(`reads ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['an empty string', '', /the duration is empty: expected a duration such as/],
    ['a bare number', '30', /"30" has no unit: expected .* \(a bare number needs a unit: did you mean 30s\?\)/],
    ['a bare decimal', '1.5', /did you mean 1\.5s\?/],
    ['a word', 'soon', /"soon" is not a duration \(unexpected "soon"\)/],
    ['an unknown unit', '5d', /"5d" is not a duration \(unexpected "5d"\)/],
    ['an uppercase unit', '5S', /is not a duration/],
    ['a negative value', '-5s', /is not a duration/],
    ['a space between components', '1m 30s', /unexpected " 30s"/],
    ['surrounding whitespace', ' 30s', /is not a duration/],
    ['trailing garbage', '30sx', /unexpected "x"/],
    ['a number after the last unit', '1m30', /unexpected "30"/],
    ['misordered units', '30s1m', /repeats or misorders its units/],
    ['a repeated unit', '1s1s', /repeats or misorders its units/],
    ['a fraction of a millisecond', '0.5ms', /is not a whole number of milliseconds/],
    ['a value beyond safe integers', '9999999999999999h', /is too large/],
    ['a leading dot', '.5s', /is not a duration/],
    ['a trailing dot', '5.s', /is not a duration/],
    ['an exponent', '1e3ms', /is not a duration/],
  ];
  for (const [what, text, message] of invalid) {
    test(`rejects ${what}`, () => {
      assert.throws(() => parseDuration(text), (error: unknown) => {
        assert.ok(error instanceof DurationError);
        assert.match(error.message, message);
        assert.ok(error.expected.startsWith(DURATION_FORM));
        return true;
      });
    });
  }

  test('rejects text longer than the limit without echoing it', () => {
    const text = `${'1'.repeat(MAX_DURATION_TEXT)}s`;
    assert.throws(() => parseDuration(text), (error: unknown) => {
      assert.ok(error instanceof DurationError);
      assert.match(error.message, new RegExp(`is ${text.length} characters long`));
      assert.ok(!error.message.includes(text));
      return true;
    });
  });

  test('gives a hint only for a bare number', () => {
    const hintOf = (text: string) => {
      try {
        parseDuration(text);
      } catch (error) {
        return (error as DurationError).hint;
      }
      assert.fail(`${text} parsed`);
    };
    assert.equal(hintOf('45'), 'a bare number needs a unit: did you mean 45s?');
    assert.equal(hintOf('soon'), undefined);
  });
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [1, '1ms'],
    [100, '100ms'],
    [1_000, '1s'],
    [1_500, '1s500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [3_723_004, '1h2m3s4ms'],
    [90_000_000, '25h'],
    [99.6, '100ms'],
  ];
  for (const [ms, text] of cases) {
    test(`formats ${ms} ms as ${text}`, () => assert.equal(formatDuration(ms), text));
  }

  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`refuses ${bad} with a DurationError`, () => assert.throws(() => formatDuration(bad), DurationError));
  }
});
