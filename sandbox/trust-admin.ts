/**
 * Reading and replacing a role's trust policy in a running world (the
 * sandbox's `aws iam get-role` / `aws iam update-assume-role-policy`), for the
 * admin API: apply the statement a probe's fix printed and watch the next
 * cycle pass.
 *
 *   GET  /trust-policy?role=ARN          {"role": ARN, "policy": {...}}
 *   POST /trust-policy {"role": ARN, "policy": {...}}
 */
import { AwsNameError, parseRoleArn } from '../src/aws-names.js';
import { roleArn } from './defaults.js';
import type { PolicyDocument } from './policy.js';
import { parsePolicyDocument, PolicyDocumentError } from './policy-document.js';
import type { Account } from './scenarios.js';

export class TrustPolicyError extends Error {
  override readonly name = 'TrustPolicyError';
}

/** A role ARN's account and name; anything else is a TrustPolicyError. */
function parsed(arn: unknown): { accountId: string; roleName: string } {
  try {
    if (typeof arn === 'string') return parseRoleArn(arn);
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
  }
  throw new TrustPolicyError(`role must be a role ARN like arn:aws:iam::444455556666:role/irsa-probe-target, not ${JSON.stringify(arn ?? null)}`);
}

function locate(accounts: readonly Account[], arn: unknown): { account: Account; roleName: string } {
  const { accountId, roleName } = parsed(arn);
  const account = accounts.find((a) => a.id === accountId);
  if (account === undefined || !account.roles.some((r) => r.name === roleName)) {
    const known = accounts.flatMap((a) => a.roles.map((r) => roleArn(a.id, r.name)));
    throw new TrustPolicyError(`no role ${JSON.stringify(arn)} in this world; known roles: ${known.join(', ')}`);
  }
  return { account, roleName };
}

export function trustPolicyOf(accounts: readonly Account[], arn: unknown): PolicyDocument {
  const { account, roleName } = locate(accounts, arn);
  return account.roles.find((r) => r.name === roleName)!.trustPolicy;
}

/** The accounts with one role's trust policy replaced (validated as IAM would). */
export function withTrustPolicy(accounts: readonly Account[], arn: unknown, policy: unknown): Account[] {
  const { account, roleName } = locate(accounts, arn);
  let document: PolicyDocument;
  try {
    document = parsePolicyDocument(policy);
  } catch (error) {
    if (error instanceof PolicyDocumentError) throw new TrustPolicyError(`MalformedPolicyDocument: ${error.message}`);
    throw error;
  }
  const updated: Account = { ...account, roles: account.roles.map((r) => (r.name === roleName ? { ...r, trustPolicy: document } : r)) };
  return accounts.map((a) => (a === account ? updated : a));
}
