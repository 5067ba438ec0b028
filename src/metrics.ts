/**
 * Metric definitions (DESIGN.md §4), in the probe's own prom-client Registry
 * (never the global one), updated from a Report.
 *
 * Label values are bounded: `check` is one of CHECK_NAMES, `reason` one of
 * REASONS (anything else is counted under the check's generic reason),
 * `operation`/`outcome` are fixed unions, `target` one of the configured
 * IRSA_PROBE_ASSUME_ROLES ARNs (any other is dropped).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHECKS, isCheckName } from './checks/index.js';
import { collectProcessMetrics } from './process-metrics.js';
import { oneLine } from './redact.js';
import { isReason, type CheckName, type CheckResult, type Reason, type Report, type StsOperation, type StsOutcome } from './types.js';


export interface ProbeInfo {
  readonly mechanism: string;
  readonly role_arn: string;
  readonly region: string;
  readonly sts_endpoint: string;
  readonly namespace: string;
  readonly service_account: string;
  readonly version: string;
}

export const METRIC = {
  probeSuccess: 'irsa_probe_success',
  probeReady: 'irsa_probe_ready',
  probeDuration: 'irsa_probe_duration_seconds',
  checkSuccess: 'irsa_check_success',
  checkDuration: 'irsa_check_duration_seconds',
  checkFailures: 'irsa_check_failures_total',
  cycles: 'irsa_probe_cycles_total',
  lastSuccess: 'irsa_last_success_timestamp_seconds',
  tokenExpiry: 'irsa_token_expiry_timestamp_seconds',
  credentialsExpiry: 'irsa_credentials_expiry_timestamp_seconds',
  stsRequests: 'irsa_sts_requests_total',
  roleTargetSuccess: 'irsa_role_target_success',
  info: 'irsa_probe_info',
} as const;

/** Every irsa_* metric name this module defines. */
export const METRIC_NAMES: readonly string[] = Object.freeze(Object.values(METRIC));

/** Label names per metric (for tests and alert-rule checks). */
export const METRIC_LABELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [METRIC.checkSuccess]: ['check'],
  [METRIC.checkDuration]: ['check'],
  [METRIC.checkFailures]: ['check', 'reason'],
  [METRIC.stsRequests]: ['operation', 'outcome'],
  [METRIC.roleTargetSuccess]: ['target'],
  [METRIC.info]: ['mechanism', 'role_arn', 'region', 'sts_endpoint', 'namespace', 'service_account', 'version'],
});

/** Seconds; spans a 5 ms local check to a 30 s timeout. */
export const CHECK_DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);

/** The reason a failed check is counted under when it carries none from REASONS. */
export const GENERIC_REASON: Readonly<Record<CheckName, Reason>> = Object.freeze(
  Object.fromEntries(CHECKS.map((c) => [c.name, c.fallbackReason])) as Record<CheckName, Reason>,
);


const INFO_LABELS = ['mechanism', 'role_arn', 'region', 'sts_endpoint', 'namespace', 'service_account', 'version'] as const;

/** The bounded reason label for a failed check. */
export function reasonLabel(check: CheckName, reason: unknown): Reason {
  return typeof reason === 'string' && isReason(reason) ? reason : GENERIC_REASON[check];
}

export class ProbeMetrics {
  readonly registry: Registry;
  readonly contentType: string;

  private readonly probeSuccess: Gauge;
  private readonly probeReady: Gauge;
  private readonly probeDuration: Gauge;
  private readonly checkSuccess: Gauge<'check'>;
  private readonly checkDuration: Histogram<'check'>;
  private readonly checkFailures: Counter<'check' | 'reason'>;
  private readonly cycles: Counter;
  private readonly lastSuccess: Gauge;
  private readonly tokenExpiry: Gauge;
  private readonly credentialsExpiry: Gauge;
  private readonly stsRequests: Counter<'operation' | 'outcome'>;
  private readonly roleTargetSuccess: Gauge<'target'>;
  private readonly roleTargets: ReadonlySet<string>;
  private readonly info: Gauge<(typeof INFO_LABELS)[number]>;

  /** `roleTargets`: the configured target role ARNs, the only values the `target` label takes. */
  constructor(opts?: { readonly defaultMetrics?: boolean; readonly roleTargets?: readonly string[] }) {
    const registers = [(this.registry = new Registry())];
    this.contentType = this.registry.contentType;
    this.probeSuccess = new Gauge({ name: METRIC.probeSuccess, help: 'Whether the last probe cycle succeeded (1) or failed (0).', registers });
    this.probeReady = new Gauge({ name: METRIC.probeReady, help: 'The readiness verdict served on /readyz (1 ready, 0 not ready).', registers });
    this.probeDuration = new Gauge({ name: METRIC.probeDuration, help: 'Duration of the last probe cycle in seconds.', registers });
    this.checkSuccess = new Gauge({ name: METRIC.checkSuccess, help: 'Whether the check passed (1) or failed (0) in the last cycle; absent when skipped.', labelNames: ['check'], registers });
    this.checkDuration = new Histogram({ name: METRIC.checkDuration, help: 'Duration of each check in seconds.', labelNames: ['check'], buckets: [...CHECK_DURATION_BUCKETS], registers });
    this.checkFailures = new Counter({ name: METRIC.checkFailures, help: 'Failed checks by check and bounded reason.', labelNames: ['check', 'reason'], registers });
    this.cycles = new Counter({ name: METRIC.cycles, help: 'Probe cycles run.', registers });
    this.lastSuccess = new Gauge({ name: METRIC.lastSuccess, help: 'Unix time in seconds of the end of the last successful cycle.', registers });
    this.tokenExpiry = new Gauge({ name: METRIC.tokenExpiry, help: 'Unix time in seconds at which the projected service account token expires.', registers });
    this.credentialsExpiry = new Gauge({ name: METRIC.credentialsExpiry, help: 'Unix time in seconds at which the current AWS credentials expire.', registers });
    this.stsRequests = new Counter({ name: METRIC.stsRequests, help: 'Requests to STS (or the Pod Identity agent) by operation and outcome.', labelNames: ['operation', 'outcome'], registers });
    this.roleTargetSuccess = new Gauge({ name: METRIC.roleTargetSuccess, help: 'Whether sts:AssumeRole into the target role (IRSA_PROBE_ASSUME_ROLES) succeeded (1) or failed (0) in the last cycle; absent when the roles check was skipped.', labelNames: ['target'], registers });
    this.roleTargets = new Set(opts?.roleTargets ?? []);
    this.info = new Gauge({ name: METRIC.info, help: 'Probe identity and configuration; always 1.', labelNames: [...INFO_LABELS], registers });

    this.probeSuccess.set(0);
    this.probeReady.set(0);
    this.cycles.inc(0);
    // No value before one is known: no series rather than a misleading 0.
    this.lastSuccess.remove({});
    this.tokenExpiry.remove({});
    this.credentialsExpiry.remove({});
    if (opts?.defaultMetrics ?? true) collectProcessMetrics(this.registry);
  }

  setInfo(info: ProbeInfo): void {
    // Values come from the environment and the token: control characters (a raw \r splits a sample line for some parsers) are escaped.
    const labels = Object.fromEntries(INFO_LABELS.map((k) => [k, oneLine(String(info[k] ?? ''))])) as Record<(typeof INFO_LABELS)[number], string>;
    this.info.reset();
    this.info.set(labels, 1);
  }

  observeReport(report: Report): void {
    this.cycles.inc();
    this.probeSuccess.set(report.ok ? 1 : 0);
    this.probeDuration.set(report.durationMs / 1000);
    for (const check of report.checks) {
      this.observeCheck(check);
      for (const call of check.stsCalls ?? []) this.countStsRequest(call.operation, call.outcome);
    }
    this.setTokenExpiry(report.facts.claims?.exp);
    this.setCredentialsExpiry(report.facts.credentialsExpireAt ? report.facts.credentialsExpireAt.getTime() / 1000 : undefined);
    if (report.ok) {
      const endMs = Date.parse(report.startedAt) + report.durationMs;
      this.lastSuccess.set((Number.isFinite(endMs) ? endMs : Date.now()) / 1000);
    }
  }

  setReady(ready: boolean): void {
    this.probeReady.set(ready ? 1 : 0);
  }

  setTokenExpiry(epochSeconds: number | undefined): void {
    setOrClear(this.tokenExpiry, epochSeconds);
  }

  setCredentialsExpiry(epochSeconds: number | undefined): void {
    setOrClear(this.credentialsExpiry, epochSeconds);
  }

  countStsRequest(operation: StsOperation, outcome: StsOutcome): void {
    this.stsRequests.inc({ operation, outcome });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  private observeCheck(check: CheckResult): void {
    // Check names are typed, but a label is only ever one of CHECK_NAMES.
    if (!isCheckName(check.name)) return;
    const labels = { check: check.name };
    if (check.status === 'skip') {
      this.checkSuccess.remove(labels);
      if (check.name === 'roles') this.roleTargetSuccess.reset();
      return;
    }
    this.checkSuccess.set(labels, check.status === 'pass' ? 1 : 0);
    for (const t of check.targets ?? []) if (this.roleTargets.has(t.target)) this.roleTargetSuccess.set({ target: t.target }, t.status === 'pass' ? 1 : 0);
    this.checkDuration.observe(labels, Math.max(0, check.durationMs) / 1000);
    if (check.status === 'fail') this.checkFailures.inc({ check: check.name, reason: reasonLabel(check.name, check.reason) });
  }
}

function setOrClear(gauge: Gauge, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) gauge.remove({});
  else gauge.set(value);
}
