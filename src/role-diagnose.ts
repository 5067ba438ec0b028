/**
 * Why sts:AssumeRole into a target role failed (the second hop of a role
 * chain), and the exact fix: the statement the target's trust policy needs
 * (principal the pod's role, sts:ExternalId when one is configured) and the
 * statement the pod's role needs to call sts:AssumeRole on the target.
 * Policies are JSON-encoded and commands shell-quoted: ARNs and the
 * ExternalId come from configuration and are not trusted.
 */
import { AwsNameError, parseRoleArn, type RoleArn } from './aws-names.js';
import { shellCommand } from './shell.js';
import { answered, diagnoseSts, errorFacts, indent, transportDiagnosis, transportReason, type Diagnosis, type DiagnosisContext } from './diagnose.js';
import type { RoleTarget } from './role-targets.js';

export interface RoleChainContext {
  /** The call that failed: AssumeRole into the target, or GetCallerIdentity with its credentials. */
  readonly operation: 'AssumeRole' | 'GetCallerIdentity';
  readonly target: RoleTarget;
  /** The pod's role ARN (with its path, as a trust policy must name it), when known. */
  readonly sourceRoleArn?: string;
  readonly sts: DiagnosisContext;
}

/** The session the probe asks for: STS's minimum, so a role's maximum never stands in the way. */
export const CHAIN_SESSION_SECONDS = 900;

const sh = (value: string): string => shellCommand(value);

export function diagnoseRoleChain(error: unknown, ctx: RoleChainContext): Diagnosis {
  const facts = errorFacts(error);
  const transport = transportReason(facts);
  if (transport !== undefined) return transportDiagnosis(transport, facts, ctx.sts, 'STS');
  const operation = `${ctx.operation} ${ctx.operation === 'AssumeRole' ? 'into' : 'as'} ${ctx.target.arn}`;
  const said = answered(operation, ctx.sts.stsEndpoint, facts);
  const name = facts.name.replace(/Exception$/, '');
  if (name === 'AccessDenied') {
    const externalId = ctx.target.externalId === undefined ? 'no sts:ExternalId is configured for it, so a trust policy that requires one refuses' : 'its sts:ExternalId condition does not match the configured ExternalId';
    return {
      reason: 'role_chain_denied',
      cause: `${said}. The target role's trust policy does not admit this pod's role${ctx.sourceRoleArn === undefined ? '' : ` ${ctx.sourceRoleArn}`} (wrong or missing AWS principal, or ${externalId}), or the pod's role is not allowed sts:AssumeRole on the target. AWS answers the same AccessDenied for each.`,
      fix: chainFix(ctx),
    };
  }
  if (name === 'ValidationError' && /externalId/i.test(facts.message)) {
    return { reason: 'role_chain_external_id', cause: `${said}. STS refused the ExternalId configured for ${ctx.target.arn}.`, fix: 'Set an ExternalId of 2-1224 letters, digits or _+=,.@:/- after "#" in IRSA_PROBE_ASSUME_ROLES, equal to the sts:ExternalId in the target role\'s trust policy.' };
  }
  if (name === 'ValidationError' && /DurationSeconds/i.test(facts.message)) {
    return {
      reason: 'role_chain_duration',
      cause: `${said}. The probe asks for ${CHAIN_SESSION_SECONDS} s; the target role's MaxSessionDuration (or the one-hour limit on chained sessions) is lower.`,
      fix: `Raise the target role's maximum session duration (in its account):\n  aws iam update-role --role-name ${sh(ctx.target.roleName)} --max-session-duration 3600`,
    };
  }
  return diagnoseSts(error, { ...ctx.sts, operation });
}

/** Stands for the configured ExternalId in a fix. */
export const EXTERNAL_ID = '<EXTERNAL_ID>';

/** The statement the target role's trust policy needs. */
export function chainTrustStatement(target: RoleTarget, sourceRoleArn: string | undefined): object {
  return {
    Effect: 'Allow',
    Principal: { AWS: sourceRoleArn ?? `arn:${target.partition}:iam::<POD_ROLE_ACCOUNT_ID>:role/<POD_ROLE_NAME>` },
    Action: 'sts:AssumeRole',
    // The value is not printed: a fix reaches /status and the log, which show only whether an ExternalId is set.
    ...(target.externalId === undefined ? {} : { Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } }),
  };
}

/** The policy the pod's role needs to call sts:AssumeRole on the target. */
export function chainPermissionPolicy(target: RoleTarget): object {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: target.arn }] };
}

function chainFix(ctx: RoleChainContext): string {
  const { target, sourceRoleArn } = ctx;
  const source = roleArnOrUndefined(sourceRoleArn);
  const sourceName = source?.roleName ?? '<POD_ROLE_NAME>';
  const sourceAccount = source?.accountId ?? "the pod's account";
  return [
    `1. In account ${target.accountId}, add this statement to the trust policy of ${target.arn}`,
    `   (current policy: aws iam get-role --role-name ${sh(target.roleName)} --query Role.AssumeRolePolicyDocument;`,
    `    apply the whole document: aws iam update-assume-role-policy --role-name ${sh(target.roleName)} --policy-document file://trust-policy.json):`,
    indent(JSON.stringify(chainTrustStatement(target, sourceRoleArn), null, 2)),
    ...(target.externalId === undefined ? [] : [`   (${EXTERNAL_ID}: the ExternalId after "#" in this target's IRSA_PROBE_ASSUME_ROLES entry)`]),
    `2. In account ${sourceAccount}, allow the pod's role to assume the target`,
    `   (aws iam put-role-policy --role-name ${sh(sourceName)} --policy-name ${sh(`assume-${target.roleName}`.slice(0, 128))} --policy-document file://assume-target.json):`,
    indent(JSON.stringify(chainPermissionPolicy(target), null, 2)),
  ].join('\n');
}

function roleArnOrUndefined(arn: string | undefined): RoleArn | undefined {
  if (arn === undefined) return undefined;
  try {
    return parseRoleArn(arn);
  } catch (error) {
    if (error instanceof AwsNameError) return undefined;
    throw error;
  }
}
