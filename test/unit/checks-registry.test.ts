/** The check registry: every entry says what it needs, and what it needs runs before it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECK_NAMES, CHECKS, isCheckName } from '../../src/checks/index.js';
import { GENERIC_REASON } from '../../src/metrics.js';
import { isReason } from '../../src/types.js';

describe('check registry', () => {
  it('names each check once', () => {
    assert.equal(new Set(CHECK_NAMES).size, CHECKS.length);
    for (const name of CHECK_NAMES) assert.ok(isCheckName(name));
    assert.equal(isCheckName('nope'), false);
  });

  it('lists only earlier checks as needs, so a need has always run first', () => {
    CHECKS.forEach((entry, i) => {
      const earlier = CHECK_NAMES.slice(0, i) as readonly string[];
      for (const need of entry.needs) assert.ok(earlier.includes(need), `${entry.name} needs ${need}, which does not run before it`);
    });
  });

  it('gives each check a fallback reason from the fixed set, and metrics count under it', () => {
    for (const entry of CHECKS) {
      assert.ok(isReason(entry.fallbackReason), entry.fallbackReason);
      assert.equal(GENERIC_REASON[entry.name], entry.fallbackReason);
    }
  });
});
