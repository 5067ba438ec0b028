/**
 * Runs the checks in order with a timeout each and returns a Report, the one
 * thing a cycle produces. A check never throws out of here, and a check whose
 * needs did not pass is skipped (no STS call without a readable token). What
 * the checks cache between cycles stays in here; the Report carries the facts.
 */
import type { Config } from './config.js';
import { CHECKS, type CheckEntry } from './checks/index.js';
import type { CheckContext, CycleScratch, ProbeDeps, ProbeState, Verdict } from './checks/context.js';
import { errorFacts } from './diagnose.js';
import type { KubeSession } from './kube/session.js';
import type { MechanismInfo } from './mechanism.js';
import { withNames, type KnownNames } from './names.js';
import { oneLine, printable } from './redact.js';
import type { TokenClaims } from './token-file.js';
import type { CheckName, CheckResult, CycleFacts, Report, StsCall } from './types.js';

export interface ProbeOptions {
  readonly config: Config;
  readonly mechanism: MechanismInfo;
  readonly deps: ProbeDeps;
  readonly stsEndpoint: string;
  readonly now?: () => number;
  readonly checks?: readonly CheckEntry[];
  /** The Kubernetes view's connection (absent: the k8s check skips). */
  readonly kube?: KubeSession;
}

export class Probe {
  readonly #state: ProbeState;
  private readonly now: () => number;
  private readonly checks: readonly CheckEntry[];

  constructor(private readonly options: ProbeOptions) {
    this.#state = { stsEndpoint: options.stsEndpoint };
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
    this.options.kube?.prefetch(this.options.config.timeoutMs);
    try {
      for (const entry of this.checks) {
        const blocked = this.blockedBy(entry, results);
        const result = blocked !== undefined
          ? { name: entry.name as CheckName, status: 'skip' as const, durationMs: 0, message: `skipped: ${blocked}`, findings: [] }
          : await this.runOne(entry, cycle, signal, results);
        results.push(result);
      }
    } finally {
      delete cycle.token;
    }
    const names = this.names();
    return {
      ok: results.every((r) => r.status !== 'fail'),
      startedAt: new Date(started).toISOString(),
      durationMs: this.now() - started,
      checks: results.map((r) => ({ ...r, findings: withNames(r.findings, names) })),
      facts: this.facts(),
    };
  }

  /** What fixes can name instead of placeholders: token claims, configuration, the Kubernetes view. */
  private names(): KnownNames {
    const { claims, kube } = this.#state;
    const { config } = this.options;
    const namespace = claims?.namespace ?? kube?.pod.namespace ?? config.namespace;
    const serviceAccount = claims?.serviceAccount ?? kube?.pod.serviceAccount;
    const roleArn = config.expectedRoleArn ?? kube?.serviceAccount.roleArn;
    return { namespace, serviceAccount, workload: kube?.pod.workload, issuerUrl: claims?.iss ?? kube?.issuer, roleArn };
  }

  private facts(): CycleFacts {
    const s = this.#state;
    return {
      stsEndpoint: s.stsEndpoint,
      claims: s.claims === undefined ? undefined : oneLineClaims(s.claims),
      tokenChangedAt: s.tokenChangedAt,
      assumedRoleArn: s.credentials && s.assumedRoleArn !== undefined ? oneLine(s.assumedRoleArn) : undefined,
      credentialsObtainedAt: s.credentials ? s.assumedAt : undefined,
      credentialsExpireAt: s.credentials?.expiration,
      chainArn: s.chainArn === undefined ? undefined : oneLine(s.chainArn),
    };
  }

  /** Why a check cannot run this cycle, or undefined. */
  private blockedBy(entry: CheckEntry, done: readonly CheckResult[]): string | undefined {
    if (entry.runsWithoutIdentity && this.options.mechanism.mechanism === 'none') return undefined;
    const unmet = entry.needs.find((need) => done.find((r) => r.name === need)?.status !== 'pass');
    if (unmet === undefined) return undefined;
    return done.find((r) => r.name === unmet)?.status === 'fail' ? `${unmet} failed` : `${unmet} did not pass`;
  }

  /**
   * One check's result. The one depth where what a Report promises is one line
   * (the message, each finding's cause, each target's message) is made so,
   * whatever built the verdict; fixes keep their lines (their untrusted values
   * are shell-quoted or shown with showValue where they are written).
   */
  private async runOne(entry: CheckEntry, cycle: CycleScratch, parent: AbortSignal, earlier: readonly CheckResult[]): Promise<CheckResult> {
    const name = entry.name as CheckName;
    const started = this.now();
    const timeoutMs = this.options.config.timeoutMs;
    const controller = new AbortController();
    const stsCalls: StsCall[] = [];
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const ctx: CheckContext = {
      config: this.options.config,
      mechanism: this.options.mechanism,
      signal: controller.signal,
      now: this.now,
      deps: this.options.deps,
      state: this.#state,
      cycle,
      onStsRequest: (operation, outcome) => void stsCalls.push({ operation, outcome }),
      audience: this.audience,
      earlier: [...earlier],
      ...(this.options.kube ? { kube: this.options.kube } : {}),
    };
    // Ends at the first of: the check's verdict, its timeout, or shutdown. Both
    // listeners are removed afterwards: the parent signal lives for the process.
    const deadline = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('check timed out'));
        resolve(timedOut(name, timeoutMs, this.options.mechanism.mechanism));
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
      verdict = await Promise.race([entry.run(ctx).catch((error: unknown) => crashed(entry, error)), deadline]);
    } finally {
      clearTimeout(timer);
      if (onAbort) parent.removeEventListener('abort', onAbort);
    }
    if (entry.advisory && verdict.status === 'fail') verdict = { status: 'skip', message: `skipped: ${verdict.message}`, findings: [] };
    const reason = verdict.status === 'fail' ? (verdict.reason ?? entry.fallbackReason) : undefined;
    const targets = verdict.targets === undefined ? {} : { targets: verdict.targets.map((t) => ({ ...t, message: oneLine(t.message) })) };
    const findings = (verdict.findings ?? []).map((f) => ({ ...f, cause: oneLine(f.cause), fix: printable(f.fix) }));
    return { name, status: verdict.status, reason, message: oneLine(verdict.message), findings, durationMs: this.now() - started, stsCalls: [...stsCalls], ...targets };
  }
}

function timedOut(name: CheckName, timeoutMs: number, mechanism: MechanismInfo['mechanism']): Verdict {
  const cause = `the ${name} check did not finish within ${timeoutMs} ms`;
  const egress = 'Check egress to STS/S3 from the pod (NetworkPolicy, security groups, NAT, VPC endpoints), or raise IRSA_PROBE_TIMEOUT.';
  // With Pod Identity the sts check asks the node's agent for credentials first: it may be the one that hangs.
  const fix = name === 'sts' && mechanism === 'pod-identity'
    ? `Check that the EKS Pod Identity agent (DaemonSet eks-pod-identity-agent in kube-system) runs on this pod's node and answers at AWS_CONTAINER_CREDENTIALS_FULL_URI. ${egress}`
    : egress;
  return { status: 'fail', reason: 'timeout', message: cause, findings: [{ check: name, severity: 'error', reason: 'timeout', cause, fix }] };
}

function stopped(name: CheckName): Verdict {
  return { status: 'skip', message: `the ${name} check was stopped: the probe is shutting down`, findings: [] };
}

/** A bug in a check must not crash the probe: it fails the check instead. */
function crashed(entry: CheckEntry, error: unknown): Verdict {
  const facts = errorFacts(error);
  const name = entry.name as CheckName;
  const reason = entry.fallbackReason;
  const cause = `the ${name} check failed unexpectedly: ${facts.name}: ${facts.message}`;
  return { status: 'fail', reason, message: cause, findings: [{ check: name, severity: 'error', reason, cause, fix: 'This is a bug in irsa-probe; please report it with the /status output.' }] };
}

/** The token's claims as a Report carries them: every string one line, control and format characters escaped (the token is input). */
function oneLineClaims(claims: TokenClaims): TokenClaims {
  const entries = Object.entries(claims).map(([k, v]) => [k, typeof v === 'string' ? oneLine(v) : Array.isArray(v) ? v.map((a: string) => oneLine(a)) : v]);
  return Object.fromEntries(entries) as unknown as TokenClaims;
}
