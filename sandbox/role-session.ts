/**
 * What STS's two role actions share, AssumeRoleWithWebIdentity (sts.ts) and
 * AssumeRole (assume-role.ts): AWS's input validation of the role ARN, the
 * session name and DurationSeconds, the trust-policy decision, and the grant
 * (the role's maximum session duration, the credentials, and the answer's
 * Credentials and AssumedRoleUser).
 */
import { AwsNameError, parseRoleArn } from '../src/aws-names.js';
import { awsTimestamp, callerArn, roleId, type CredentialStore, type Principal } from './credentials.js';
import { evaluate, type AuthorizationRequest } from './policy.js';
import type { Role } from './scenarios.js';
import { StsError, stsErrors } from './sts-errors.js';

/** An action's own request parameter, checked with the shared ones. */
export interface ParamRule {
  readonly name: string;
  /** How AWS's validation message names it, e.g. `externalId`. */
  readonly member: string;
  readonly min: number;
  readonly max: number;
  readonly required: boolean;
  /** Whether a too-short or too-long value is quoted in the message (AWS never quotes a token). */
  readonly quoted: boolean;
  readonly pattern?: { readonly re: RegExp; readonly shown: string };
}

export interface RoleRequest {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly durationSeconds?: number;
}

const SHARED_RULES: readonly ParamRule[] = [
  { name: 'RoleArn', member: 'roleArn', min: 20, max: 2048, required: true, quoted: true },
  { name: 'RoleSessionName', member: 'roleSessionName', min: 2, max: 64, required: true, quoted: true, pattern: { re: /^[\w+=,.@-]*$/, shown: '[\\w+=,.@-]*' } },
];

/**
 * AWS's input validation: every null, length and pattern constraint violated
 * (the shared parameters', then `extra`'s) and DurationSeconds' range, listed
 * in one ValidationError; then the role ARN's form ("Request ARN is invalid").
 */
export function validateRoleRequest(p: Readonly<Record<string, string>>, extra: readonly ParamRule[] = []): RoleRequest {
  const rules = [...SHARED_RULES, ...extra];
  const problems: string[] = [];
  for (const r of rules) {
    const value = p[r.name];
    if (value === undefined) {
      if (r.required) problems.push(`Value null at '${r.member}' failed to satisfy constraint: Member must not be null`);
    } else if (value.length < r.min || value.length > r.max) {
      const shown = r.quoted ? ` '${value.slice(0, 128)}'` : '';
      problems.push(`Value${shown} at '${r.member}' failed to satisfy constraint: Member must have length ${value.length < r.min ? `greater than or equal to ${r.min}` : `less than or equal to ${r.max}`}`);
    }
  }
  for (const r of rules) {
    const value = p[r.name];
    if (r.pattern !== undefined && value !== undefined && !r.pattern.re.test(value)) {
      problems.push(`Value '${value.slice(0, 64)}' at '${r.member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${r.pattern.shown}`);
    }
  }
  const durationSeconds = p.DurationSeconds === undefined ? undefined : /^\d{1,6}$/.test(p.DurationSeconds) ? Number(p.DurationSeconds) : NaN;
  if (durationSeconds !== undefined && !(durationSeconds >= 900 && durationSeconds <= 43200)) {
    problems.push(`Value '${p.DurationSeconds!.slice(0, 16)}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${durationSeconds < 900 ? 'greater than or equal to 900' : 'less than or equal to 43200'}`);
  }
  if (problems.length > 0) throw stsErrors.validation(problems);
  const arn = roleArnOf(p.RoleArn!);
  return { accountId: arn.accountId, roleName: arn.roleName, sessionName: p.RoleSessionName!, durationSeconds };
}

/** A role ARN's account and name; a malformed ARN is STS's "Request ARN is invalid". */
function roleArnOf(text: string): { accountId: string; roleName: string } {
  try {
    return parseRoleArn(text);
  } catch (error) {
    if (error instanceof AwsNameError) throw stsErrors.badArn();
    throw error;
  }
}

/**
 * The role when its trust policy allows `request`; otherwise `refusal()`. A
 * missing role and a refusing trust policy look the same to the caller, as in AWS.
 */
export function authorize(role: Role | undefined, request: AuthorizationRequest, refusal: () => StsError): Role {
  if (role === undefined || evaluate(role.trustPolicy, request) !== 'allow') throw refusal();
  return role;
}

/** A cap on the session's length beyond the role's maximum (role chaining's hour), and AWS's error for it. */
export interface SessionLimit {
  readonly seconds: number;
  readonly error: () => StsError;
}

/**
 * Issues a session of `role` for `request` (DurationSeconds, else
 * `defaultSeconds`; above the role's maximum, then above `limit`, is AWS's
 * ValidationError), and returns the answer's Credentials and AssumedRoleUser.
 */
export function issueRoleSession(
  store: CredentialStore,
  role: Role,
  request: RoleRequest,
  defaultSeconds: number,
  limit?: SessionLimit,
): { Credentials: Record<string, string>; AssumedRoleUser: Record<string, string> } {
  if (request.durationSeconds !== undefined && request.durationSeconds > role.maxSessionDuration) throw stsErrors.durationTooLong();
  const duration = request.durationSeconds ?? defaultSeconds;
  if (limit !== undefined && duration > limit.seconds) throw limit.error();
  const principal: Principal = { accountId: request.accountId, roleName: role.name, sessionName: request.sessionName, issuer: 'sts' };
  const c = store.issue(principal, duration);
  return {
    Credentials: { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: awsTimestamp(c.expiration) },
    AssumedRoleUser: { AssumedRoleId: `${roleId(request.accountId, role.name)}:${request.sessionName}`, Arn: callerArn(principal) },
  };
}
