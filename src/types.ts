/**
 * The contracts every module shares: check names, the bounded set of failure
 * reasons, Findings, CheckResults and the Report. See DESIGN.md §1, §3, §5.
 */

import type { TokenClaims } from './token-file.js';
export type { CheckName } from './checks/index.js';
import type { CheckName } from './checks/index.js';

/**
 * The fixed set of `reason` values. Metric labels only ever carry one of these,
 * which keeps `irsa_check_failures_total` bounded.
 */
export const REASONS = [
  // env
  'env_missing',
  'env_invalid',
  // token
  'token_missing',
  'token_unreadable',
  'token_malformed',
  'token_expired',
  'token_audience',
  'token_stale',
  // sts
  'role_mismatch',
  'oidc_provider_missing',
  'oidc_thumbprint',
  'oidc_key_unavailable',
  'trust_policy_mismatch',
  'region_disabled',
  'region_mismatch',
  'throttled',
  'timeout',
  'network',
  'sts_error',
  'sts_unavailable',
  // pod identity agent
  'pod_identity_error',
  // chain
  'fallback_to_node_role',
  'chain_error',
  // roles (sts:AssumeRole into the configured targets; transport failures use the sts reasons)
  'role_chain_denied',
  'role_chain_external_id',
  'role_chain_duration',
  // s3
  's3_access_denied',
  's3_no_bucket',
  's3_mismatch',
  's3_error',
  // k8s (warnings: they explain, readiness is unaffected)
  'sa_annotation_drift',
  'webhook_not_applied',
] as const;
export type Reason = (typeof REASONS)[number];

export function isReason(value: string): value is Reason {
  return (REASONS as readonly string[]).includes(value);
}

export type Severity = 'error' | 'warning';

/** One explained problem: what broke, why, and the exact fix. */
export interface Finding {
  readonly check: CheckName;
  readonly severity: Severity;
  /** Bounded reason (a metric label). Warnings may carry one too. */
  readonly reason: Reason | 'warning';
  /** Human cause: what was observed and what it most likely means. */
  readonly cause: string;
  /** The exact fix: a command, a manifest fragment or a policy statement. */
  readonly fix: string;
}

/** One call to STS (or the Pod Identity agent) made by a check, for irsa_sts_requests_total. */
export type StsOperation = 'AssumeRoleWithWebIdentity' | 'AssumeRole' | 'GetCallerIdentity' | 'PodIdentityAgent';
export type StsOutcome = 'success' | 'error' | 'throttled';
export interface StsCall {
  readonly operation: StsOperation;
  readonly outcome: StsOutcome;
}

/** One role the roles check chained into (IRSA_PROBE_ASSUME_ROLES), by ARN. */
export interface TargetResult {
  /** The target role's ARN (the `target` metric label; bounded by the configured list). */
  readonly target: string;
  readonly status: 'pass' | 'fail';
  readonly reason?: Reason;
  readonly message: string;
}

export interface CheckResult {
  readonly name: CheckName;
  /** 'skipped': the check did not apply (no bucket, prerequisite failed). */
  readonly status: 'pass' | 'fail' | 'skip';
  readonly durationMs: number;
  /** Set when status is 'fail'. */
  readonly reason?: Reason;
  /** One line saying what the check saw (no secrets). */
  readonly message: string;
  readonly findings: readonly Finding[];
  /** STS (and agent) calls the check finished before its verdict. */
  readonly stsCalls?: readonly StsCall[];
  /** Per-target outcomes of the roles check. */
  readonly targets?: readonly TargetResult[];
}

/** What the probe knows after a cycle, for /status and the metrics. Never a token or a key. */
export interface CycleFacts {
  readonly stsEndpoint: string;
  readonly claims?: TokenClaims;
  /** When the token file last changed (ms since the epoch). */
  readonly tokenChangedAt?: number;
  readonly assumedRoleArn?: string;
  /** When the current role credentials were obtained (ms since the epoch). */
  readonly credentialsObtainedAt?: number;
  readonly credentialsExpireAt?: Date;
  /** What the SDK default chain resolves to. */
  readonly chainArn?: string;
}

/** The one thing a cycle produces. */
export interface Report {
  readonly ok: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly checks: readonly CheckResult[];
  readonly facts: CycleFacts;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Mechanism = 'irsa' | 'pod-identity' | 'none';
