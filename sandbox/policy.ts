/**
 * Role trust policies: real IAM JSON documents, evaluated the way IAM does
 * for sts:AssumeRoleWithWebIdentity and sts:AssumeRole (an explicit Deny wins,
 * else an Allow must match; every condition of a statement must hold).
 * Supported condition operators: StringEquals, StringLike, StringNotEquals,
 * StringNotLike (and their IgnoreCase forms for Equals); an unknown operator
 * never matches. Condition keys are case-insensitive, as in IAM.
 */
import { assumedRoleArn, roleArn, userArn } from './defaults.js';

export type StringOrList = string | string[];

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { Federated?: StringOrList; Service?: StringOrList; AWS?: StringOrList };
  Action: StringOrList;
  Condition?: Record<string, Record<string, StringOrList>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

export interface AuthorizationRequest {
  readonly action: string;
  /**
   * The federated principal the caller presents (the OIDC provider ARN), a
   * service principal, or the `AWS` principal forms that name an IAM caller
   * (see awsPrincipalsOf).
   */
  readonly principal: { readonly federated?: string; readonly service?: string; readonly aws?: readonly string[] };
  /** Condition keys and their values, e.g. `oidc.example/id/X:sub`. */
  readonly context: Readonly<Record<string, StringOrList>>;
}

export type Decision = 'allow' | 'implicit-deny' | 'explicit-deny';

export function evaluate(policy: PolicyDocument, request: AuthorizationRequest): Decision {
  const matching = policy.Statement.filter((s) => statementMatches(s, request));
  if (matching.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
  return matching.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function list(value: StringOrList | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function statementMatches(s: Statement, r: AuthorizationRequest): boolean {
  return principalMatches(s.Principal, r) && list(s.Action).some((a) => wildcard(a, r.action, true)) && conditionsHold(s.Condition ?? {}, r.context);
}

function principalMatches(principal: Statement['Principal'], r: AuthorizationRequest): boolean {
  if (principal === '*') return true;
  if (principal === undefined) return false;
  if (r.principal.federated !== undefined && list(principal.Federated).includes(r.principal.federated)) return true;
  const aws = r.principal.aws;
  if (aws !== undefined && list(principal.AWS).some((p) => p === '*' || aws.includes(p))) return true;
  return r.principal.service !== undefined && list(principal.Service).includes(r.principal.service);
}

type Operator = (pattern: string, value: string) => boolean;

const OPERATORS: Record<string, { test: Operator; negated: boolean }> = {
  StringEquals: { test: (p, v) => p === v, negated: false },
  StringEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringLike: { test: (p, v) => wildcard(p, v, false), negated: false },
  StringNotEquals: { test: (p, v) => p === v, negated: true },
  StringNotEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringNotLike: { test: (p, v) => wildcard(p, v, false), negated: true },
};

function conditionsHold(conditions: Record<string, Record<string, StringOrList>>, context: Readonly<Record<string, StringOrList>>): boolean {
  return Object.entries(conditions).every(([operatorName, keys]) => {
    const operator = OPERATORS[operatorName];
    if (operator === undefined) return false;
    return Object.entries(keys).every(([key, patterns]) => {
      const values = list(contextValue(context, key));
      const anyMatch = values.some((v) => list(patterns).some((p) => operator.test(p, v)));
      // IAM: a missing key fails a positive operator and satisfies a negated one.
      return operator.negated ? !anyMatch : anyMatch;
    });
  });
}

function contextValue(context: Readonly<Record<string, StringOrList>>, key: string): StringOrList | undefined {
  const wanted = key.toLowerCase();
  return Object.entries(context).find(([k]) => k.toLowerCase() === wanted)?.[1];
}

/**
 * The `AWS` principal values that name a caller, as IAM matches them: for a
 * role session the role's ARN and the session's ARN, for an IAM user (its
 * long-term key) the user's ARN; then the account's root ARN and the bare
 * account ID.
 */
export function awsPrincipalsOf(caller: { accountId: string; roleName: string; sessionName: string; userName?: string }): string[] {
  const { accountId, roleName, sessionName, userName } = caller;
  const own = userName === undefined ? [roleArn(accountId, roleName), assumedRoleArn(accountId, roleName, sessionName)] : [userArn(accountId, userName)];
  return [...own, `arn:aws:iam::${accountId}:root`, accountId];
}

/** The trust policy of a role that other roles chain into: an `AWS` principal, optionally an sts:ExternalId condition. */
export function roleChainTrustPolicy(o: { sourceRoleArn: string; externalId?: string }): PolicyDocument {
  const statement: Statement = { Effect: 'Allow', Principal: { AWS: o.sourceRoleArn }, Action: 'sts:AssumeRole' };
  if (o.externalId !== undefined) statement.Condition = { StringEquals: { 'sts:ExternalId': o.externalId } };
  return { Version: '2012-10-17', Statement: [statement] };
}

/** IAM's `*` (any run) and `?` (one character) wildcards. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** The trust policy eksctl and the EKS docs give an IRSA role. */
export function irsaTrustPolicy(o: { providerArn: string; issuerHostPath: string; subject: string; audience: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: o.providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${o.issuerHostPath}:sub`]: o.subject, [`${o.issuerHostPath}:aud`]: o.audience } },
      },
    ],
  };
}

/** The trust policy EKS Pod Identity needs (the agent's service principal). */
export function podIdentityTrustStatement(): Statement {
  return { Sid: 'AllowEksAuthToAssumeRoleForPodIdentity', Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] };
}
