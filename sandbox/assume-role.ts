/**
 * STS AssumeRole: a role session (the pod's role credentials) chains into
 * another role, often in another account; an IAM user's long-term key may
 * assume a role too. The request is SigV4-signed (the emulator authenticates
 * it before this runs); the target role's trust policy is evaluated with the
 * caller's `AWS` principal forms and the request's `sts:ExternalId`, and the
 * answer is AWS's, error texts included.
 */
import { callerArn, type CredentialStore, type IssuedCredentials } from './credentials.js';
import { roleArn } from './defaults.js';
import { awsPrincipalsOf } from './policy.js';
import { authorize, issueRoleSession, validateRoleRequest, type ParamRule, type SessionLimit } from './role-session.js';
import type { Account } from './scenarios.js';
import { StsError } from './sts-errors.js';
import { stsResponse } from './xml.js';

/** AssumeRole's DurationSeconds when the request has none. */
const ASSUME_ROLE_DEFAULT_SECONDS = 3600;
/** A session assumed by role chaining lasts at most one hour, whatever the role's maximum. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

const assumeRoleErrors = {
  notAuthorized: (caller: string, target: string) => new StsError(403, 'AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${target}`),
  chainingTooLong: () => new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'),
};

const EXTERNAL_ID: ParamRule = { name: 'ExternalId', member: 'externalId', min: 2, max: 1224, required: false, quoted: true, pattern: { re: /^[\w+=,.@:/-]*$/, shown: '[\\w+=,.@:\\/-]*' } };

/** Role chaining: a caller that is itself a role session gets at most an hour; an IAM user gets the role's maximum. */
const CHAINED: SessionLimit = { seconds: ROLE_CHAINING_MAX_SECONDS, error: assumeRoleErrors.chainingTooLong };

/** Answers AssumeRole for an authenticated caller; throws StsError with AWS's code and message. */
export function assumeRole(params: Record<string, string>, caller: IssuedCredentials, accounts: readonly Account[], store: CredentialStore, id: string): string {
  const input = validateRoleRequest(params, [EXTERNAL_ID]);
  const externalId = params.ExternalId;
  const role = authorize(
    accounts.find((a) => a.id === input.accountId)?.roles.find((r) => r.name === input.roleName),
    { action: 'sts:AssumeRole', principal: { aws: awsPrincipalsOf(caller) }, context: externalId === undefined ? {} : { 'sts:ExternalId': externalId } },
    () => assumeRoleErrors.notAuthorized(callerArn(caller), roleArn(input.accountId, input.roleName)),
  );
  const chained = caller.userName === undefined;
  const session = issueRoleSession(store, role, input, Math.min(ASSUME_ROLE_DEFAULT_SECONDS, role.maxSessionDuration), chained ? CHAINED : undefined);
  return stsResponse('AssumeRole', session, id);
}
