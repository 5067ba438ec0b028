/**
 * What a check gets: the resolved config, the detected mechanism, an abort
 * signal, a clock, its dependencies (passed in, so tests fake them at the SDK
 * level) and the probe's state that carries over between cycles.
 */
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { Config } from '../config.js';
import type { MechanismInfo } from '../mechanism.js';
import { oneLine } from '../redact.js';
import type { CheckName, CheckResult, Finding, Reason, StsOperation, StsOutcome, TargetResult } from '../types.js';
import type { TokenClaims } from '../token-file.js';
import type { SharedFileKeys, SharedFileProblem } from '../shared-profile.js';
import type { KubeSession, KubeSnapshot } from '../kube/session.js';

export interface Credentials extends AwsCredentialIdentity {
  readonly expiration?: Date;
}

/** Clients and I/O the checks use; the SDK-backed ones are built in aws-clients.ts. */
export interface ProbeDeps {
  /** AssumeRoleWithWebIdentity (unsigned). */
  assumeRoleWithWebIdentity(input: { roleArn: string; sessionName: string; token: string }, signal: AbortSignal): Promise<Credentials & { assumedRoleArn?: string }>;
  /** AssumeRole (a role chain's second hop) signed with the pod's role credentials. */
  assumeRole(input: { roleArn: string; sessionName: string; durationSeconds: number; externalId?: string }, source: Credentials, signal: AbortSignal): Promise<Credentials & { assumedRoleArn?: string }>;
  /** GetCallerIdentity signed with the given credentials. */
  getCallerIdentity(credentials: Credentials, signal: AbortSignal): Promise<{ arn: string; account: string; userId: string }>;
  /** The Pod Identity agent: credentials for the authorization token (read by the token check; no header when undefined). */
  podIdentityCredentials(input: { token: string | undefined }, signal: AbortSignal): Promise<Credentials>;
  /** The SDK's default credential chain, as the application gets it (memoised by the SDK; an aborted call starts afresh). */
  defaultChain(signal: AbortSignal): Promise<Credentials>;
  /** S3 operations with the given credentials (lazily loaded client). */
  s3(): Promise<S3Ops>;
  /**
   * The shared AWS files, looked at once: the problem (naming the file) when one the SDK reads is not a
   * small regular file, else static keys for the SDK's profile in the credentials or config file, if any. Never rejects.
   */
  sharedFileKeys(): Promise<SharedFileProblem | SharedFileKeys | undefined>;
  /** Reads a small file; rejects with the fs error (code) or TokenFileError. */
  readTokenFile(path: string): Promise<{ text: string; mtimeMs: number }>;
}

export interface S3Ops {
  put(credentials: Credentials, bucket: string, key: string, body: Uint8Array, signal: AbortSignal): Promise<void>;
  get(credentials: Credentials, bucket: string, key: string, signal: AbortSignal): Promise<Uint8Array>;
  delete(credentials: Credentials, bucket: string, key: string, signal: AbortSignal): Promise<void>;
}

/** State carried between cycles. Holds no token text. */
export interface ProbeState {
  claims?: TokenClaims;
  tokenChangedAt?: number;
  /** sha256 of the token seen by the last cycle. */
  tokenFingerprintSeen?: string;
  credentials?: Credentials;
  assumedAt?: number;
  assumedRoleArn?: string;
  /** What identified the credentials whose caller identity was last checked (assumed-role ARN, or a key-id fingerprint). */
  identityKey?: string;
  /** When GetCallerIdentity last succeeded. */
  identityCheckedAt?: number;
  chainVerifiedKeyId?: string;
  chainArn?: string;
  /** Per target role ARN (IRSA_PROBE_ASSUME_ROLES): the identity last verified with GetCallerIdentity. */
  roleTargets?: Map<string, { verifiedArn: string; verifiedAt: number }>;
  stsEndpoint: string;
  /** The pod, its owners and its ServiceAccount, as the Kubernetes view last read them. */
  kube?: KubeSnapshot;
}

/** Scratch space of one cycle: the token text lives here and dies with the cycle. */
export interface CycleScratch {
  token?: string;
  tokenFingerprint?: string;
}

export interface CheckContext {
  readonly config: Config;
  readonly mechanism: MechanismInfo;
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly deps: ProbeDeps;
  readonly state: ProbeState;
  readonly cycle: CycleScratch;
  readonly onStsRequest: (operation: StsOperation, outcome: StsOutcome) => void;
  /** The expected audience: explicit setting, else the mechanism's default. */
  readonly audience: string;
  /** The Kubernetes view's connection, when the probe has one. */
  readonly kube?: KubeSession;
  /** The results of the checks that ran before this one, this cycle. */
  readonly earlier?: readonly CheckResult[];
}

/** A check's verdict before the probe stamps name and duration on it. */
export interface Verdict {
  readonly status: 'pass' | 'fail' | 'skip';
  readonly reason?: Reason;
  readonly message: string;
  readonly findings?: readonly Finding[];
  readonly targets?: readonly TargetResult[];
}

export type Check = (ctx: CheckContext) => Promise<Verdict>;

export function pass(message: string, findings: readonly Finding[] = []): Verdict {
  return { status: 'pass', message: oneLine(message), findings };
}

export function skip(message: string): Verdict {
  return { status: 'skip', message: oneLine(message), findings: [] };
}

/**
 * A failed check with its one error Finding (and any warnings). The cause is
 * one line, whatever a path, a claim or an SDK message put in it: a newline or
 * an escape sequence from input is shown escaped, never as a line of its own.
 */
export function fail(check: CheckName, reason: Reason, cause: string, fix: string, warnings: readonly Finding[] = []): Verdict {
  const line = oneLine(cause);
  return { status: 'fail', reason, message: line, findings: [...warnings, { check, severity: 'error', reason, cause: line, fix }] };
}

export function warning(check: CheckName, cause: string, fix: string): Finding {
  return { check, severity: 'warning', reason: 'warning', cause: oneLine(cause), fix };
}

