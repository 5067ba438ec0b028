/**
 * Every timing derived from the settings, in one place, with the scheduler's
 * constants they depend on: how long one cycle may take, when readiness goes
 * stale and when liveness gives up on the scheduler.
 */
import { CHECKS } from './checks/index.js';

/** The first retry after a failed first cycle; it doubles up to the interval until a cycle succeeds. */
export const FIRST_BACKOFF_MS = 1000;
/** Every delay is drawn within ±JITTER of its base. */
export const JITTER = 0.1;
/** While STS throttles, the delay doubles up to this many intervals. */
export const MAX_THROTTLE_FACTOR = 8;
/** Added to the checks' timeouts in a cycle budget. */
const CYCLE_SLACK_MS = 1000;
/** Liveness allows at least this long between beats (plus a cycle budget), however short the interval. */
const MIN_HEARTBEAT_WINDOW_MS = 5000;

export interface CycleTimings {
  /** The longest one cycle may take: every check at its timeout, plus a second. */
  readonly cycleBudgetMs: number;
  /**
   * The longest legitimate gap between two finished cycles: the largest
   * throttling backoff with jitter plus one whole cycle, and never less than
   * 3 intervals. Readiness goes stale only when the scheduler stalls; failing
   * or backed-off cycles turn it through the failure threshold.
   */
  readonly staleAfterMs: number;
  /** /livez fails when the scheduler's heartbeat is older than this: 3 intervals (at least 5 s) plus a cycle budget. */
  readonly heartbeatTimeoutMs: number;
}

export function cycleTimings(intervalMs: number, timeoutMs: number): CycleTimings {
  const cycleBudgetMs = timeoutMs * CHECKS.length + CYCLE_SLACK_MS;
  const largestBackoffMs = Math.ceil(MAX_THROTTLE_FACTOR * intervalMs * (1 + JITTER));
  return {
    cycleBudgetMs,
    staleAfterMs: Math.max(3 * intervalMs, largestBackoffMs + cycleBudgetMs),
    heartbeatTimeoutMs: Math.max(3 * intervalMs, MIN_HEARTBEAT_WINDOW_MS) + cycleBudgetMs,
  };
}
