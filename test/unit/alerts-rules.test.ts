/**
 * The alert rules and the dashboard: promtool accepts the rules and passes their
 * unit tests, every PromQL expression (rules and dashboard panels) parses and only
 * selects metrics the probe exports, and every alert names its reason and links a
 * runbook section that exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { METRIC, METRIC_NAMES } from '../../src/metrics.js';
import {
  OPERATIONS_DOC,
  RULES_TEST_FILE,
  allPanels,
  exposedNames,
  loadDashboard,
  loadRules,
  metricNamesIn,
  readYaml,
  substituteDashboardVariables,
  tempDir,
  tool,
  writeRules,
  type RuleFile,
} from './k8s-support.js';

const HISTOGRAMS: readonly string[] = [METRIC.checkDuration];
/** Prometheus' own series the rules may use besides the probe's. */
const PROMETHEUS_SERIES = ['up'];
const EXPORTED = new Set([...METRIC_NAMES.flatMap((n) => (HISTOGRAMS.includes(n) ? exposedNames(n) : [n])), ...PROMETHEUS_SERIES]);

async function promtoolCheck(rules: RuleFile): Promise<{ code: number; output: string }> {
  const { dir, cleanup } = await tempDir('irsa-rules-');
  try {
    const file = await writeRules(dir, rules);
    const r = await tool('promtool', ['check', 'rules', file]);
    return { code: r.code, output: r.stdout + r.stderr };
  } finally {
    await cleanup();
  }
}

async function dashboardExprs(): Promise<{ panel: string; expr: string }[]> {
  const dashboard = await loadDashboard();
  return allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));
}

function alerts(rules: RuleFile) {
  return rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces → hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('alert rules', () => {
  it('promtool check rules accepts them', async () => {
    const r = await promtoolCheck(await loadRules());
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: \d+ rules found/);
  });

  it('promtool check rules rejects a broken expression (the check has teeth)', async () => {
    const rules = await loadRules();
    rules.groups[0]!.rules[0]!.expr = 'irsa_probe_success ==';
    const r = await promtoolCheck(rules);
    assert.notEqual(r.code, 0, r.output);
  });

  it('pass their promtool unit tests', async () => {
    const { dir, cleanup } = await tempDir('irsa-rules-test-');
    try {
      await writeRules(dir, await loadRules());
      const testFile = path.join(dir, path.basename(RULES_TEST_FILE));
      await copyFile(RULES_TEST_FILE, testFile);
      const r = await tool('promtool', ['test', 'rules', testFile], { cwd: dir, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /SUCCESS/);
    } finally {
      await cleanup();
    }
  });

  it('every alert has a promtool unit test', async () => {
    const tested = new Set(
      (await readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }>(RULES_TEST_FILE)).tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((t) => t.exp_alerts.length > 0)
        .map((t) => t.alertname),
    );
    const untested = alerts(await loadRules()).map((a) => a.alert).filter((name) => !tested.has(name ?? ''));
    assert.deepEqual(untested, []);
  });

  it('only select metrics the probe exports', async () => {
    for (const rule of (await loadRules()).groups.flatMap((g) => g.rules)) {
      const unknown = metricNamesIn(rule.expr).filter((n) => !EXPORTED.has(n));
      assert.deepEqual(unknown, [], `${rule.alert ?? rule.record}: unknown metrics`);
    }
  });

  it('carry a severity, a summary, a description naming the reason label and a runbook link', async () => {
    for (const a of alerts(await loadRules())) {
      assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, `${a.alert}: severity`);
      assert.ok(a.annotations?.summary, `${a.alert}: summary`);
      assert.match(a.annotations?.description ?? '', /\{\{ \$labels\.reason \}\}/, `${a.alert}: description must carry {{ $labels.reason }}`);
      assert.match(a.annotations?.runbook_url ?? '', /^https:\/\/.+\/docs\/operations\.md#[a-z0-9-]+$/, `${a.alert}: runbook_url`);
    }
  });

  it('link runbook sections that exist in docs/operations.md, one per alert', async () => {
    const headings = anchors(await readFile(OPERATIONS_DOC, 'utf8'));
    for (const a of alerts(await loadRules())) {
      const anchor = (a.annotations?.runbook_url ?? '').split('#')[1] ?? '';
      assert.equal(anchor, (a.alert ?? '').toLowerCase(), `${a.alert}: the anchor is the alert name`);
      assert.ok(headings.has(anchor), `docs/operations.md has no section #${anchor}`);
    }
  });
});

describe('dashboard', () => {
  it('every panel query parses (checked by promtool as recording rules)', async () => {
    const exprs = await dashboardExprs();
    assert.ok(exprs.length >= 10, `only ${exprs.length} queries found`);
    const rules: RuleFile = {
      groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: substituteDashboardVariables(e.expr) })) }],
    };
    const r = await promtoolCheck(rules);
    assert.equal(r.code, 0, r.output);
  });

  it('only selects metrics the probe exports', async () => {
    for (const { panel, expr } of await dashboardExprs()) {
      const unknown = metricNamesIn(substituteDashboardVariables(expr)).filter((n) => !EXPORTED.has(n));
      assert.deepEqual(unknown, [], `panel "${panel}": unknown metrics`);
    }
  });

  it('shows success, readiness, reasons, durations, expiries and STS calls', async () => {
    const used = new Set((await dashboardExprs()).flatMap((e) => metricNamesIn(substituteDashboardVariables(e.expr))));
    for (const name of [METRIC.probeSuccess, METRIC.probeReady, METRIC.checkFailures, `${METRIC.checkDuration}_bucket`, METRIC.probeDuration, METRIC.tokenExpiry, METRIC.credentialsExpiry, METRIC.stsRequests]) {
      assert.ok(used.has(name), `no panel shows ${name}`);
    }
  });

  it('queries through a datasource variable', async () => {
    const dashboard = await loadDashboard();
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.ok(variable, 'no datasource variable');
    assert.equal(variable.query, 'prometheus');
    const ref = `\${${variable.name}}`;
    for (const p of allPanels(dashboard.panels)) {
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid ?? p.datasource?.uid, ref, `panel "${p.title}" ${t.refId ?? ''}`);
    }
  });
});

describe('metric-name extraction', () => {
  const cases: [string, string[]][] = [
    ['sum by (check, reason) (increase(irsa_check_failures_total{check=~"sts|chain"}[5m]))', ['irsa_check_failures_total']],
    ['(up == 0) and on (job, instance) max_over_time(irsa_probe_info[1h])', ['irsa_probe_info', 'up']],
    ['label_replace(absent(irsa_probe_info), "reason", "absent", "", "")', ['irsa_probe_info']],
    ['irsa_token_expiry_timestamp_seconds - time() < 3600', ['irsa_token_expiry_timestamp_seconds']],
    ['histogram_quantile(0.95, sum by (le) (rate(irsa_check_duration_seconds_bucket[1m])))', ['irsa_check_duration_seconds_bucket']],
    ['irsa_probe_succes == 0', ['irsa_probe_succes']],
  ];
  for (const [expr, names] of cases) {
    it(`finds ${names.join(', ')} in ${expr}`, () => {
      assert.deepEqual(metricNamesIn(expr), names);
    });
  }
  it('flags a misspelt metric as not exported', () => {
    assert.ok(!EXPORTED.has('irsa_probe_succes'));
  });
});
