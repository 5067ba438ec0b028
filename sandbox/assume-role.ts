/**
 * STS AssumeRole: a role session (the pod's role credentials) chains into
 * another role, often in another account. The request is SigV4-signed (the
 * emulator authenticates it before this runs); the target role's trust policy
 * is evaluated with the caller's `AWS` principal forms and the request's
 * `sts:ExternalId`, and the answer is AWS's, error texts included.
 */
import { awsTimestamp, callerArn, roleId, type CredentialStore, type IssuedCredentials } from './credentials.js';
import { roleArn } from './defaults.js';
import { awsPrincipalsOf, evaluate } from './policy.js';
import type { Account } from './scenarios.js';
import { StsError, stsErrors } from './sts-errors.js';
import { stsResponse } from './xml.js';

/** AssumeRole's DurationSeconds when the request has none. */
export const ASSUME_ROLE_DEFAULT_SECONDS = 3600;
/** A session assumed by role chaining lasts at most one hour, whatever the role's maximum. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_RE = /^[\w+=,.@-]*$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]*$/;

export const assumeRoleErrors = {
  notAuthorized: (caller: string, target: string) => new StsError(403, 'AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${target}`),
  chainingTooLong: () => new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'),
};

interface Input {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly durationSeconds?: number;
  readonly externalId?: string;
}

/** Answers AssumeRole for an authenticated caller; throws StsError with AWS's code and message. */
export function assumeRole(params: Record<string, string>, caller: IssuedCredentials, accounts: readonly Account[], store: CredentialStore, id: string): string {
  const input = validate(params);
  const role = accounts.find((a) => a.id === input.accountId)?.roles.find((r) => r.name === input.roleName);
  const decision =
    role === undefined
      ? 'implicit-deny'
      : evaluate(role.trustPolicy, {
          action: 'sts:AssumeRole',
          principal: { aws: awsPrincipalsOf(caller) },
          context: input.externalId === undefined ? {} : { 'sts:ExternalId': input.externalId },
        });
  // A missing role and a refusing trust policy look the same to the caller, as in AWS.
  if (role === undefined || decision !== 'allow') throw assumeRoleErrors.notAuthorized(callerArn(caller), roleArn(input.accountId, input.roleName));
  const duration = input.durationSeconds ?? Math.min(ASSUME_ROLE_DEFAULT_SECONDS, role.maxSessionDuration);
  if (input.durationSeconds !== undefined && input.durationSeconds > role.maxSessionDuration) throw stsErrors.durationTooLong();
  if (duration > ROLE_CHAINING_MAX_SECONDS) throw assumeRoleErrors.chainingTooLong();
  const principal = { accountId: input.accountId, roleName: role.name, sessionName: input.sessionName, issuer: 'sts' as const };
  const c = store.issue(principal, duration);
  return stsResponse(
    'AssumeRole',
    {
      Credentials: { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: awsTimestamp(c.expiration) },
      AssumedRoleUser: { AssumedRoleId: `${roleId(input.accountId, role.name)}:${input.sessionName}`, Arn: callerArn(principal) },
    },
    id,
  );
}

/** AWS's input validation: every constraint violated is listed in one ValidationError, then the ARN's form. */
function validate(p: Record<string, string>): Input {
  const problems: string[] = [];
  const need = (name: string, member: string, min: number, max: number, required: boolean): void => {
    const value = p[name];
    if (value === undefined) {
      if (required) problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    } else if (value.length < min || value.length > max) {
      problems.push(`Value '${value.slice(0, 128)}' at '${member}' failed to satisfy constraint: Member must have length ${value.length < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`);
    }
  };
  need('RoleArn', 'roleArn', 20, 2048, true);
  need('RoleSessionName', 'roleSessionName', 2, 64, true);
  need('ExternalId', 'externalId', 2, 1224, false);
  const pattern = (name: string, member: string, re: RegExp, shown: string): void => {
    const value = p[name];
    if (value !== undefined && !re.test(value)) problems.push(`Value '${value.slice(0, 64)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shown}`);
  };
  pattern('RoleSessionName', 'roleSessionName', SESSION_RE, '[\\w+=,.@-]*');
  pattern('ExternalId', 'externalId', EXTERNAL_ID_RE, '[\\w+=,.@:\\/-]*');
  const durationSeconds = p.DurationSeconds === undefined ? undefined : /^\d{1,6}$/.test(p.DurationSeconds) ? Number(p.DurationSeconds) : NaN;
  if (durationSeconds !== undefined && !(durationSeconds >= 900 && durationSeconds <= 43200)) {
    problems.push(`Value '${p.DurationSeconds!.slice(0, 16)}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${durationSeconds < 900 ? 'greater than or equal to 900' : 'less than or equal to 43200'}`);
  }
  if (problems.length > 0) throw stsErrors.validation(problems);
  const arn = ROLE_ARN_RE.exec(p.RoleArn!);
  if (arn === null) throw stsErrors.badArn();
  return { accountId: arn[1]!, roleName: arn[2]!, sessionName: p.RoleSessionName!, durationSeconds, externalId: p.ExternalId };
}
