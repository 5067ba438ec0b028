/**
 * Runs the checks in order with a timeout each and returns a Report. A check
 * never throws out of here, and a failed prerequisite skips what depends on it
 * (no STS call without a readable token).
 */
import type { Config } from './config.js';
import { CHECKS } from './checks/index.js';
import type { Check, CheckContext, CycleScratch, ProbeDeps, ProbeState, Verdict } from './checks/context.js';
import { errorFacts } from './diagnose.js';
import type { MechanismInfo } from './mechanism.js';
import type { StsOperation, StsOutcome } from './metrics.js';
import type { CheckName, CheckResult, Report } from './types.js';

export interface ProbeOptions {
  readonly config: Config;
  readonly mechanism: MechanismInfo;
  readonly deps: ProbeDeps;
  readonly stsEndpoint: string;
  readonly now?: () => number;
  readonly onStsRequest?: (operation: StsOperation, outcome: StsOutcome) => void;
  readonly checks?: ReadonlyArray<readonly [CheckName, Check]>;
}

export class Probe {
  readonly state: ProbeState;
  private readonly now: () => number;
  private readonly checks: ReadonlyArray<readonly [CheckName, Check]>;

  constructor(private readonly options: ProbeOptions) {
    this.state = { stsEndpoint: options.stsEndpoint };
    this.now = options.now ?? Date.now;
    this.checks = options.checks ?? CHECKS;
  }

  get audience(): string {
    return this.options.config.audience ?? this.options.mechanism.defaultAudience ?? 'sts.amazonaws.com';
  }

  async run(signal: AbortSignal): Promise<Report> {
    const started = this.now();
    const cycle: CycleScratch = {};
    const results: CheckResult[] = [];
    try {
      for (const [name, check] of this.checks) {
        const blocked = this.blockedBy(name, results);
        const result = blocked !== undefined
          ? { name, status: 'skip' as const, durationMs: 0, message: `skipped: ${blocked}`, findings: [] }
          : await this.runOne(name, check, cycle, signal);
        results.push(result);
      }
    } finally {
      delete cycle.token;
    }
    const ok = results.every((r) => r.status !== 'fail');
    return {
      ok,
      startedAt: new Date(started).toISOString(),
      durationMs: this.now() - started,
      checks: results,
      findings: results.flatMap((r) => r.findings),
    };
  }

  /** Why a check cannot run this cycle, or undefined. */
  private blockedBy(name: CheckName, done: readonly CheckResult[]): string | undefined {
    const status = (check: CheckName) => done.find((r) => r.name === check)?.status;
    switch (name) {
      case 'env':
        return undefined;
      case 'token':
        return status('env') === 'fail' ? 'env failed' : undefined;
      case 'sts':
        return status('token') !== 'pass' ? 'token not usable' : undefined;
      case 'chain':
        if (this.options.mechanism.mechanism === 'none') return undefined;
        return status('sts') !== 'pass' ? 'sts failed' : undefined;
      case 's3':
        return status('sts') !== 'pass' ? 'sts failed' : undefined;
    }
  }

  private async runOne(name: CheckName, check: Check, cycle: CycleScratch, parent: AbortSignal): Promise<CheckResult> {
    const started = this.now();
    const timeoutMs = this.options.config.timeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const ctx: CheckContext = {
      config: this.options.config,
      mechanism: this.options.mechanism,
      signal: controller.signal,
      now: this.now,
      deps: this.options.deps,
      state: this.state,
      cycle,
      onStsRequest: this.options.onStsRequest ?? (() => undefined),
      audience: this.audience,
    };
    // Ends at the first of: the check's verdict, its timeout, or shutdown. Both
    // listeners are removed afterwards: the parent signal lives for the process.
    const deadline = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('check timed out'));
        resolve(timedOut(name, timeoutMs));
      }, timeoutMs);
      onAbort = () => {
        controller.abort(parent.reason);
        resolve(stopped(name));
      };
      if (parent.aborted) onAbort();
      else parent.addEventListener('abort', onAbort, { once: true });
    });
    let verdict: Verdict;
    try {
      verdict = await Promise.race([check(ctx).catch((error: unknown) => crashed(name, error)), deadline]);
    } finally {
      clearTimeout(timer);
      if (onAbort) parent.removeEventListener('abort', onAbort);
    }
    return { name, status: verdict.status, reason: verdict.reason, message: verdict.message, findings: verdict.findings ?? [], durationMs: this.now() - started };
  }
}

function timedOut(name: CheckName, timeoutMs: number): Verdict {
  const cause = `the ${name} check did not finish within ${timeoutMs} ms`;
  return { status: 'fail', reason: 'timeout', message: cause, findings: [{ check: name, severity: 'error', reason: 'timeout', cause, fix: 'Check egress to STS/S3 from the pod (NetworkPolicy, security groups, NAT, VPC endpoints), or raise IRSA_PROBE_TIMEOUT.' }] };
}

function stopped(name: CheckName): Verdict {
  return { status: 'skip', message: `the ${name} check was stopped: the probe is shutting down`, findings: [] };
}

/** A bug in a check must not crash the probe: it fails the check instead. */
function crashed(name: CheckName, error: unknown): Verdict {
  const facts = errorFacts(error);
  const reason = name === 'env' ? 'env_invalid' : name === 'token' ? 'token_malformed' : name === 'chain' ? 'chain_error' : name === 's3' ? 's3_error' : 'sts_error';
  const cause = `the ${name} check failed unexpectedly: ${facts.name}: ${facts.message}`;
  return { status: 'fail', reason, message: cause, findings: [{ check: name, severity: 'error', reason, cause, fix: 'This is a bug in irsa-probe; please report it with the /status output.' }] };
}
