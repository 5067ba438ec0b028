/**
 * Runs one cycle at a time: the first at once, then backoff from 1 s until the
 * first success, then the interval with jitter; backs off further while STS
 * throttles. Cycles never overlap; stop() aborts the one in flight.
 */
import { FIRST_BACKOFF_MS, JITTER, MAX_THROTTLE_FACTOR } from './timings.js';
import type { Report } from './types.js';

export interface SchedulerOptions {
  readonly intervalMs: number;
  /** Upper bound of one cycle, so a wedged cycle stops the heartbeat. */
  readonly cycleBudgetMs: number;
  readonly onReport: (report: Report) => void;
  readonly onBeat: (now: number) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * The heartbeat's longest period. /livez allows at least 5 s plus a cycle
 * budget between beats, so 5 s keeps it live; every wake-up of an idle
 * sidecar costs CPU (bench/RESULTS.md).
 */
export const HEARTBEAT_MAX_MS = 5000;

/** The delay before the next cycle, from what the last one saw. */
export function nextDelay(intervalMs: number, state: { everSucceeded: boolean; failuresBeforeFirstSuccess: number; consecutiveThrottles: number }, random: () => number): number {
  let base: number;
  if (state.consecutiveThrottles > 0) {
    base = intervalMs * Math.min(2 ** state.consecutiveThrottles, MAX_THROTTLE_FACTOR);
  } else if (!state.everSucceeded) {
    base = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, state.failuresBeforeFirstSuccess - 1), intervalMs);
  } else {
    base = intervalMs;
  }
  return Math.max(1, Math.round(base * (1 + JITTER * (2 * random() - 1))));
}

export class Scheduler {
  private readonly controller = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private loop: Promise<void> | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private cycleStartedAt: number | undefined;
  private state = { everSucceeded: false, failuresBeforeFirstSuccess: 0, consecutiveThrottles: 0 };
  private cycles = 0;

  constructor(private readonly runCycle: (signal: AbortSignal) => Promise<Report>, private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get cycleCount(): number {
    return this.cycles;
  }

  start(): void {
    if (this.loop !== undefined) return;
    this.options.onBeat(this.now());
    const every = Math.min(this.options.intervalMs, HEARTBEAT_MAX_MS);
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
    this.loop = this.run();
  }

  /** Aborts the cycle in flight and resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('shutting down'));
    clearInterval(this.heartbeat);
    clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loop;
  }

  private beat(): void {
    const now = this.now();
    const started = this.cycleStartedAt;
    if (started === undefined || now - started <= this.options.cycleBudgetMs) this.options.onBeat(now);
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      this.cycleStartedAt = this.now();
      const report = await this.runCycle(signal);
      this.cycleStartedAt = undefined;
      if (signal.aborted) break;
      this.cycles += 1;
      this.learn(report);
      this.options.onReport(report);
      this.options.onBeat(this.now());
      await this.sleep(nextDelay(this.options.intervalMs, this.state, this.random));
    }
  }

  private learn(report: Report): void {
    const throttled = report.checks.some((c) => c.reason === 'throttled');
    this.state.consecutiveThrottles = throttled ? this.state.consecutiveThrottles + 1 : 0;
    if (report.ok) this.state.everSucceeded = true;
    else if (!this.state.everSucceeded) this.state.failuresBeforeFirstSuccess += 1;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }
}
