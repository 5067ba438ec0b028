/**
 * Readiness and liveness state machine (DESIGN.md §4 "Readiness").
 *
 * - Not ready until the first successful cycle.
 * - Ready after `successThreshold` consecutive successes.
 * - Not ready after `failureThreshold` consecutive failures; below that a
 *   ready probe stays ready (hysteresis).
 * - Not ready when the last finished cycle (any outcome) is older than
 *   `staleAfterMs`, evaluated at read time: a stalled scheduler cannot keep a
 *   pod ready. Measured from the last finished cycle, not the last success, so
 *   failing or backed-off cycles turn readiness only through the failure
 *   threshold (docs/reliability.md, finding 1).
 * - Live while the scheduler's heartbeat is newer than `heartbeatTimeoutMs`.
 *
 * Pure and clock-injected: every method takes `now` (epoch ms).
 */
import { describeDuration } from './duration.js';
import type { CheckResult, Report } from './types.js';

export interface HealthOptions {
  readonly successThreshold: number;
  readonly failureThreshold: number;
  readonly staleAfterMs: number;
  readonly heartbeatTimeoutMs: number;
  /** Bound of the transition history ring (default 20). */
  readonly historySize?: number;
  /** Reference time for liveness before the first heartbeat (default Date.now() at construction). */
  readonly createdAt?: number;
}

export interface Transition {
  /** ISO timestamp. */
  readonly at: string;
  readonly ready: boolean;
  readonly cause: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly cause: string;
  /** The last report's checks, [] before the first report. */
  readonly checks: readonly CheckResult[];
}

export interface Liveness {
  readonly live: boolean;
  readonly cause: string;
}

export const NO_SUCCESS_YET = 'no successful cycle yet';
const DEFAULT_HISTORY = 20;
const NO_CHECKS: readonly CheckResult[] = Object.freeze([]);

function plural(n: number, word: string): string {
  return `${n} consecutive ${word}${n === 1 ? '' : 's'}`;
}

/** "sts failed: trust_policy_mismatch, s3 failed: s3_error" for the failing checks of a report. */
export function describeFailures(checks: readonly CheckResult[]): string {
  const failed = checks.filter((c) => c.status === 'fail').map((c) => `${c.name} failed: ${c.reason ?? 'unknown'}`);
  return failed.length > 0 ? failed.join(', ') : 'no check failed';
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}

function positiveMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

export class Health {
  private readonly successThreshold: number;
  private readonly failureThreshold: number;
  private readonly staleAfterMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly historySize: number;
  private readonly createdAt: number;

  private successes = 0;
  private failures = 0;
  /** The verdict from counting cycles (staleness is applied on top at read time). */
  private counted = false;
  private published = false;
  private report: Report | undefined;
  private lastSuccess: number | undefined;
  private lastCycle: number | undefined;
  private lastBeat: number | undefined;
  private readonly transitions: Transition[] = [];

  constructor(opts: HealthOptions) {
    this.successThreshold = positiveInt('successThreshold', opts.successThreshold);
    this.failureThreshold = positiveInt('failureThreshold', opts.failureThreshold);
    this.staleAfterMs = positiveMs('staleAfterMs', opts.staleAfterMs);
    this.heartbeatTimeoutMs = positiveMs('heartbeatTimeoutMs', opts.heartbeatTimeoutMs);
    this.historySize = positiveInt('historySize', opts.historySize ?? DEFAULT_HISTORY);
    this.createdAt = opts.createdAt ?? Date.now();
  }

  /**
   * Counts one finished cycle. Returns the transition when the readiness
   * verdict changed. A finished cycle also counts as a scheduler heartbeat.
   */
  record(report: Report, now: number): Transition | undefined {
    this.report = report;
    this.lastBeat = now;
    this.lastCycle = now;
    if (report.ok) {
      this.successes += 1;
      this.failures = 0;
      this.lastSuccess = now;
      if (this.successes >= this.successThreshold) this.counted = true;
    } else {
      this.failures += 1;
      this.successes = 0;
      if (this.failures >= this.failureThreshold) this.counted = false;
    }
    return this.publish(now);
  }

  beat(now: number): void {
    this.lastBeat = now;
  }

  readiness(now: number): Readiness {
    const { ready, cause } = this.verdict(now);
    if (ready !== this.published) this.publish(now);
    return { ready, cause, checks: this.report?.checks ?? NO_CHECKS };
  }

  live(now: number): Liveness {
    const since = this.lastBeat ?? this.createdAt;
    const age = now - since;
    if (age <= this.heartbeatTimeoutMs) {
      return { live: true, cause: this.lastBeat === undefined ? 'waiting for the first scheduler heartbeat' : `scheduler heartbeat ${describeDuration(age)} ago` };
    }
    const what = this.lastBeat === undefined ? 'no scheduler heartbeat since start' : `last scheduler heartbeat ${describeDuration(age)} ago`;
    return { live: false, cause: `${what}, timeout ${describeDuration(this.heartbeatTimeoutMs)}` };
  }

  history(): readonly Transition[] {
    return [...this.transitions];
  }

  lastReport(): Report | undefined {
    return this.report;
  }

  lastSuccessAt(): number | undefined {
    return this.lastSuccess;
  }

  private verdict(now: number): { ready: boolean; cause: string } {
    if (this.lastSuccess === undefined) return { ready: false, cause: NO_SUCCESS_YET };
    const checks = this.report?.checks ?? NO_CHECKS;
    if (!this.counted) {
      if (this.failures >= this.failureThreshold) {
        return { ready: false, cause: `${plural(this.failures, 'failed cycle')} (threshold ${this.failureThreshold}): ${describeFailures(checks)}` };
      }
      return { ready: false, cause: `${plural(this.successes, 'successful cycle')}, ${this.successThreshold} needed` };
    }
    const age = now - (this.lastCycle ?? this.lastSuccess);
    if (age > this.staleAfterMs) {
      return { ready: false, cause: `last finished cycle ${describeDuration(age)} ago, stale after ${describeDuration(this.staleAfterMs)}` };
    }
    if (this.failures > 0) {
      return { ready: true, cause: `${plural(this.failures, 'failed cycle')}, below threshold ${this.failureThreshold}: ${describeFailures(checks)}` };
    }
    return { ready: true, cause: plural(this.successes, 'successful cycle') };
  }

  private publish(now: number): Transition | undefined {
    const { ready, cause } = this.verdict(now);
    if (ready === this.published) return undefined;
    this.published = ready;
    const transition: Transition = { at: new Date(now).toISOString(), ready, cause };
    this.transitions.push(transition);
    if (this.transitions.length > this.historySize) this.transitions.shift();
    return transition;
  }
}
