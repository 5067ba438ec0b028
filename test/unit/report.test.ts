import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Readiness } from '../../src/health.js';
import { allFindings, renderLivez, renderReadyz, renderText, summaryLine } from '../../src/report.js';
import type { CheckResult, Finding, Report } from '../../src/types.js';

const TRUST_FIX = `Use this trust policy statement:
{
  "Effect": "Allow",
  "Principal": { "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" },
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {
    "StringEquals": {
      "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:ns:sa"
    }
  }
}`;
const TRUST: Finding = { check: 'sts', severity: 'error', reason: 'trust_policy_mismatch', cause: 'AccessDenied: the trust policy does not match system:serviceaccount:ns:sa', fix: TRUST_FIX };
const BOTH_SET: Finding = { check: 'env', severity: 'warning', reason: 'warning', cause: 'both IRSA and Pod Identity variables are set', fix: 'remove one of them' };

const CHECKS: CheckResult[] = [
  { name: 'env', status: 'pass', durationMs: 0.4, message: 'irsa: role arn:aws:iam::111122223333:role/app', findings: [BOTH_SET] },
  { name: 'token', status: 'pass', durationMs: 2, message: 'token for system:serviceaccount:ns:sa expires in 23h', findings: [] },
  { name: 'sts', status: 'fail', durationMs: 231.6, reason: 'trust_policy_mismatch', message: 'AssumeRoleWithWebIdentity denied', findings: [TRUST] },
  { name: 'chain', status: 'skip', durationMs: 0, message: 'skipped: sts failed', findings: [] },
  { name: 's3', status: 'skip', durationMs: 0, message: 'no bucket configured', findings: [] },
];
const FAILED: Report = { ok: false, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 234.4, checks: CHECKS, facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' } };

describe('renderText', () => {
  const out = renderText(FAILED);
  const lines = out.split('\n');

  it('prints one line per check in order, with status, name, reason and duration', () => {
    assert.deepEqual(lines.slice(0, 5), [
      'PASS env   irsa: role arn:aws:iam::111122223333:role/app (0 ms)',
      'PASS token token for system:serviceaccount:ns:sa expires in 23h (2 ms)',
      'FAIL sts   trust_policy_mismatch: AssumeRoleWithWebIdentity denied (232 ms)',
      'SKIP chain skipped: sts failed',
      'SKIP s3    no bucket configured',
    ]);
  });

  it('then a blank line and each finding: severity, check, reason, cause and fix, errors first', () => {
    assert.equal(lines[5], '');
    assert.equal(lines[6], 'ERROR sts trust_policy_mismatch');
    assert.equal(lines[7], `  cause: ${TRUST.cause}`);
    assert.equal(lines[8], '  fix:');
    const warning = lines.indexOf('WARNING env warning');
    assert.ok(warning > 8);
    assert.deepEqual(lines.slice(warning, warning + 3), ['WARNING env warning', `  cause: ${BOTH_SET.cause}`, `  fix: ${BOTH_SET.fix}`]);
  });

  it('indents a multi-line fix verbatim: every line, inner indentation kept', () => {
    const fixLines = TRUST_FIX.split('\n');
    assert.deepEqual(lines.slice(9, 9 + fixLines.length), fixLines.map((l) => `    ${l}`));
    const block = lines.slice(9, 9 + fixLines.length).map((l) => l.slice(4)).join('\n');
    assert.deepEqual(JSON.parse(block.slice(block.indexOf('{'))), JSON.parse(TRUST_FIX.slice(TRUST_FIX.indexOf('{'))));
  });

  it('ends with a blank line, the summary line and a newline', () => {
    assert.equal(lines.at(-1), '');
    assert.equal(lines.at(-2), 'checks: 2 ok, 1 failing, 2 skipped (cycle took 234 ms)');
    assert.equal(lines.at(-3), '');
  });

  it("prints every check's findings once, errors first", () => {
    assert.equal(lines.filter((l) => l === 'ERROR sts trust_policy_mismatch').length, 1);
    assert.equal(lines.filter((l) => l === 'WARNING env warning').length, 1);
    assert.deepEqual(allFindings(FAILED), [TRUST, BOTH_SET]);
  });

  it('prints just the checks and the summary for a clean pass', () => {
    const ok: Report = { ok: true, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 40, checks: [CHECKS[1]!], facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' } };
    assert.equal(renderText(ok), 'PASS token token for system:serviceaccount:ns:sa expires in 23h (2 ms)\n\nchecks: 1 ok, 0 failing, 0 skipped (cycle took 40 ms)\n');
  });

  it('verbose adds the start time before the checks', () => {
    const v = renderText(FAILED, { verbose: true }).split('\n');
    assert.deepEqual(v.slice(0, 3), ['irsa-probe check started 2026-01-01T00:00:00.000Z', '', lines[0]]);
  });

  it('counts statuses in the summary line', () => {
    assert.equal(summaryLine({ ...FAILED, checks: [] }), 'checks: 0 ok, 0 failing, 0 skipped (cycle took 234 ms)');
  });

  it('renders only what it is given (no fields beyond the report)', () => {
    for (const line of lines) {
      if (line === '' || /^(PASS|FAIL|SKIP|ERROR|WARNING|checks:)/.test(line)) continue;
      assert.ok(line.startsWith('  '), `unexpected unindented line: ${line}`);
    }
  });
});

describe('renderReadyz', () => {
  const failing: Readiness = { ready: false, cause: '3 consecutive failed cycles (threshold 3): sts failed: trust_policy_mismatch', checks: CHECKS };
  const ready: Readiness = { ready: true, cause: '1 consecutive successful cycle', checks: CHECKS.filter((c) => c.status !== 'fail') };

  const cases: ReadonlyArray<[string, Readiness, boolean, string]> = [
    ['ready, terse: exactly ok', ready, false, 'ok'],
    ['ready, verbose: every check then passed', ready, true, '[+]env ok\n[+]token ok\n[ ]chain skipped\n[ ]s3 skipped\nreadyz check passed\n'],
    ['not ready, terse: failing checks then the cause', failing, false, `[-]sts failed: trust_policy_mismatch\nreadyz check failed: ${failing.cause}\n`],
    ['not ready, verbose: every check then the cause', failing, true, `[+]env ok\n[+]token ok\n[-]sts failed: trust_policy_mismatch\n[ ]chain skipped\n[ ]s3 skipped\nreadyz check failed: ${failing.cause}\n`],
    ['before the first report: only the cause', { ready: false, cause: 'no successful cycle yet', checks: [] }, true, 'readyz check failed: no successful cycle yet\n'],
    ['stale with passing checks, terse: only the cause', { ready: false, cause: 'last finished cycle 190s ago, stale after 180s', checks: ready.checks }, false, 'readyz check failed: last finished cycle 190s ago, stale after 180s\n'],
  ];
  for (const [name, readiness, verbose, expected] of cases) {
    it(name, () => assert.equal(renderReadyz(readiness, verbose), expected));
  }

  it('ready during hysteresis lists the failing check only when verbose', () => {
    const hyst: Readiness = { ready: true, cause: '1 consecutive failed cycle, below threshold 3', checks: CHECKS };
    assert.equal(renderReadyz(hyst, false), 'ok');
    const verbose = renderReadyz(hyst, true);
    assert.match(verbose, /^\[-\]sts failed: trust_policy_mismatch$/m);
    assert.ok(verbose.endsWith('\nreadyz check passed\n'));
  });
});

describe('renderLivez', () => {
  it('says ok when live and names the cause otherwise', () => {
    assert.equal(renderLivez({ live: true, cause: 'scheduler heartbeat 1s ago' }), 'ok');
    assert.equal(renderLivez({ live: false, cause: 'last scheduler heartbeat 400s ago, timeout 180s' }), 'livez check failed: last scheduler heartbeat 400s ago, timeout 180s\n');
  });
});
