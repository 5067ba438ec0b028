/**
 * What `serve` keeps between cycles: the probe, its readiness (Health), its
 * metrics and log lines, and what each Report does to them. `check` needs
 * none of it (see build-probe.ts).
 */
import type { ProbeDeps } from './checks/context.js';
import type { Probe } from './probe.js';
import type { Config } from './config.js';
import { Health } from './health.js';
import { kubeHooks } from './kube/hooks.js';
import type { Logger } from './log.js';
import type { MechanismInfo } from './mechanism.js';
import { ProbeMetrics } from './metrics.js';
import { buildStatus } from './status.js';
import { parseSubject } from './token-file.js';
import type { Report } from './types.js';
import { buildProbe } from './build-probe.js';

/** Repeated identical failures are logged again at most this often. */
export const REPEAT_LOG_MS = 60_000;

export interface ServeState {
  readonly mechanism: MechanismInfo;
  readonly probe: Probe;
  readonly health: Health;
  readonly metrics: ProbeMetrics;
  record(report: Report): void;
  /** Scheduler heartbeat; also refreshes the readiness gauge so staleness shows in /metrics. */
  beat(now: number): void;
  status(): unknown;
}

export interface ServeStateOptions {
  readonly version: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly deps?: ProbeDeps;
  readonly defaultMetrics?: boolean;
}

export function createServeState(config: Config, options: ServeStateOptions): ServeState {
  const now = options.now ?? Date.now;
  const metrics = new ProbeMetrics({ defaultMetrics: options.defaultMetrics ?? true, roleTargets: config.assumeRoles.map((t) => t.arn) });
  const { probe, mechanism, stsEndpoint, kube } = buildProbe(config, {
    ...(options.deps ? { deps: options.deps } : {}),
    now,
  });
  const health = new Health({
    successThreshold: config.successThreshold,
    failureThreshold: config.failureThreshold,
    staleAfterMs: config.staleAfterMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    createdAt: now(),
  });
  const setInfo = (sub: string | undefined) =>
    metrics.setInfo({
      mechanism: mechanism.mechanism,
      role_arn: config.expectedRoleArn ?? '',
      region: config.aws.region ?? '',
      sts_endpoint: stsEndpoint,
      namespace: parseSubject(sub)?.namespace ?? config.namespace ?? '',
      service_account: parseSubject(sub)?.name ?? '',
      version: options.version,
    });
  setInfo(undefined);
  const kubeView = kubeHooks(kube, options.log, config.timeoutMs, now);
  const failureLog = new RepeatFilter(now);
  let infoSubject: string | undefined;

  return {
    mechanism,
    probe,
    health,
    metrics,
    record(report) {
      const at = now();
      const transition = health.record(report, at);
      metrics.observeReport(report);
      metrics.setReady(health.readiness(at).ready);
      const sub = report.facts.claims?.sub;
      if (sub !== infoSubject) {
        infoSubject = sub;
        setInfo(sub);
      }
      if (transition) options.log.info(transition.ready ? 'ready' : 'not ready', { cause: transition.cause });
      kubeView.afterCycle(report, transition);
      for (const check of report.checks) {
        if (check.status !== 'fail') continue;
        const signature = `${check.name}:${check.reason}`;
        const repeats = failureLog.admit(signature);
        if (repeats === undefined) continue;
        const finding = check.findings.find((f) => f.severity === 'error');
        options.log.warn('check failed', { check: check.name, reason: check.reason, cause: check.message, fix: finding?.fix, repeatsSinceLastLog: repeats });
      }
      if (report.ok) failureLog.clear();
    },
    beat(at) {
      health.beat(at);
      metrics.setReady(health.readiness(at).ready);
    },
    status() {
      return buildStatus({ version: options.version, config, mechanism, audience: probe.audience, stsEndpoint, health, now });
    },
  };
}

/** Lets a repeated log line through once per REPEAT_LOG_MS, counting what it held back. */
class RepeatFilter {
  private readonly seen = new Map<string, { at: number; held: number }>();
  constructor(private readonly now: () => number) {}
  admit(signature: string): number | undefined {
    const at = this.now();
    const entry = this.seen.get(signature);
    if (entry && at - entry.at < REPEAT_LOG_MS) {
      entry.held += 1;
      return undefined;
    }
    this.seen.set(signature, { at, held: 0 });
    return entry?.held ?? 0;
  }
  clear(): void {
    this.seen.clear();
  }
}
