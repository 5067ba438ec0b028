import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { SETTINGS } from '../../src/settings.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import { REASONS } from '../../src/types.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README stays true to the code', () => {
  test('lists every setting with its variable, flag and default', () => {
    for (const s of SETTINGS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${s.env}\``));
      assert.ok(row, `README has no row for ${s.env}`);
      assert.ok(row.includes(`\`${s.flag}\``), `${s.env} row names ${s.flag}`);
      if (s.shownDefault) assert.ok(row.includes(s.shownDefault), `${s.env} row shows the default ${s.shownDefault}`);
    }
  });

  test('documents every metric the probe exports', () => {
    for (const name of METRIC_NAMES) assert.ok(readme.includes(`\`${name}\``), name);
  });

  test('names every failure reason', () => {
    for (const reason of REASONS) assert.ok(readme.includes(`\`${reason}\``), reason);
  });

  test('shows the two quick-start commands', () => {
    assert.match(readme, /npm ci && npm run demo/);
    assert.match(readme, /npm test/);
  });
});
