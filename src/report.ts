/**
 * Human rendering of a Report (the `irsa-probe check` output) and of the
 * readiness/liveness verdicts (/readyz and /livez bodies, in the style of
 * Kubernetes' own `/readyz?verbose`).
 *
 * Renders only what it is given: reports never carry secrets in the first place.
 */
import type { Liveness, Readiness } from './health.js';
import { CHECK_NAMES } from './checks/index.js';
import { oneLine, printable } from './redact.js';
import type { CheckResult, Finding, Report } from './types.js';

const NAME_WIDTH = Math.max(...CHECK_NAMES.map((n) => n.length)) + 1;
const INDENT = '  ';
const BLOCK_INDENT = '    ';

/** One line per check: the probe made each message one line (Probe.runOne). */
function checkLine(check: CheckResult): string {
  const name = check.name.padEnd(NAME_WIDTH);
  const { message } = check;
  const ms = ` (${Math.round(check.durationMs)} ms)`;
  switch (check.status) {
    case 'pass':
      return `PASS ${name}${message}${ms}`;
    case 'fail':
      return `FAIL ${name}${check.reason ?? 'unknown'}: ${message}${ms}`;
    default:
      return `SKIP ${name}${message}`;
  }
}

/** `  label: text` for one line, or `  label:` then each line indented (control characters escaped, so no line starts at column 0). */
function labelled(label: string, text: string): string[] {
  const lines = printable(text).replace(/\n+$/, '').split('\n');
  if (lines.length === 1) return [`${INDENT}${label}: ${lines[0]}`];
  return [`${INDENT}${label}:`, ...lines.map((l) => (l.length > 0 ? `${BLOCK_INDENT}${l}` : ''))];
}

function findingBlock(f: Finding): string[] {
  return [`${f.severity.toUpperCase()} ${f.check} ${f.reason}`, ...labelled('cause', f.cause), ...labelled('fix', f.fix)];
}

/** Every check's findings, errors first. */
export function allFindings(report: Report): Finding[] {
  const rank = (f: Finding): number => (f.severity === 'error' ? 0 : 1);
  return report.checks.flatMap((c) => c.findings).sort((a, b) => rank(a) - rank(b));
}

export function summaryLine(report: Report): string {
  const count = (s: CheckResult['status']): number => report.checks.filter((c) => c.status === s).length;
  return `checks: ${count('pass')} ok, ${count('fail')} failing, ${count('skip')} skipped (cycle took ${Math.round(report.durationMs)} ms)`;
}

/**
 * `irsa-probe check` output: one line per check, a blank line and each
 * Finding (severity, check, reason, cause, fix; multi-line text indented
 * verbatim), then the summary line. `verbose` adds a header with the start time.
 */
export function renderText(report: Report, opts?: { readonly verbose?: boolean }): string {
  const lines: string[] = [];
  if (opts?.verbose) lines.push(`irsa-probe check started ${report.startedAt}`, '');
  lines.push(...report.checks.map(checkLine));
  for (const f of allFindings(report)) lines.push('', ...findingBlock(f));
  lines.push('', summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function readyzLine(check: CheckResult): string {
  switch (check.status) {
    case 'pass':
      return `[+]${check.name} ok`;
    case 'fail':
      return `[-]${check.name} failed: ${check.reason ?? 'unknown'}`;
    default:
      return `[ ]${check.name} skipped`;
  }
}

/**
 * /readyz body. Ready and not verbose: exactly `ok`. Otherwise one line per
 * check (verbose: every check; not verbose: the failing ones), then
 * `readyz check passed` or `readyz check failed: <cause>`.
 */
export function renderReadyz(readiness: Readiness, verbose: boolean): string {
  if (readiness.ready && !verbose) return 'ok';
  const checks = verbose ? readiness.checks : readiness.checks.filter((c) => c.status === 'fail');
  const lines = checks.map(readyzLine);
  lines.push(readiness.ready ? 'readyz check passed' : `readyz check failed: ${oneLine(readiness.cause)}`);
  return `${lines.join('\n')}\n`;
}

/** /livez body: `ok`, or `livez check failed: <cause>`. */
export function renderLivez(live: Liveness): string {
  return live.live ? 'ok' : `livez check failed: ${oneLine(live.cause)}\n`;
}
