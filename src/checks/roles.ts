/**
 * roles: the pod's role can chain into each configured target role
 * (IRSA_PROBE_ASSUME_ROLES), as ExternalDNS, External Secrets or CI runners
 * do. Every cycle calls sts:AssumeRole per target with the pod's role
 * credentials (the call that evaluates the target's trust policy, so a broken
 * trust is seen within the failure threshold); GetCallerIdentity with the
 * result runs on the first success, when the assumed identity changes, and
 * then once per identity interval (IRSA_PROBE_IDENTITY_INTERVAL, as for the
 * pod's own role). A steady cycle costs one STS call per target.
 */
import { AwsNameError, isSessionOf } from '../aws-names.js';
import { CHAIN_SESSION_SECONDS, diagnoseRoleChain } from '../role-diagnose.js';
import type { RoleTarget } from '../role-targets.js';
import type { Finding, TargetResult } from '../types.js';
import { skip, type Check, type CheckContext, type Credentials } from './context.js';
import { diagnosisContext, isTransient, outcomeOf, stsSessionName } from './sts.js';

interface Outcome {
  readonly result: TargetResult;
  readonly finding?: Finding;
}

export const rolesCheck: Check = async (ctx) => {
  const targets = ctx.config.assumeRoles;
  if (targets.length === 0) return skip('no target roles configured (IRSA_PROBE_ASSUME_ROLES)');
  const source = ctx.state.credentials;
  if (source === undefined) return skip("no credentials of the pod's role this cycle");
  const outcomes = await Promise.all(targets.map((t) => proveTarget(ctx, t, source)));
  const results = outcomes.map((o) => o.result);
  const failed = results.filter((r) => r.status === 'fail');
  const findings = outcomes.flatMap((o) => (o.finding ? [o.finding] : []));
  const message = results.map((r) => r.message).join('; ');
  if (failed.length === 0) return { status: 'pass', message, findings, targets: results };
  return { status: 'fail', reason: failed[0]!.reason, message: `${failed.length} of ${results.length} target roles failed: ${message}`, findings, targets: results };
};

async function proveTarget(ctx: CheckContext, target: RoleTarget, source: Credentials): Promise<Outcome> {
  let assumed: Credentials & { assumedRoleArn?: string };
  try {
    const input = { roleArn: target.arn, sessionName: stsSessionName(`irsa-probe-${ctx.config.podName}`), durationSeconds: CHAIN_SESSION_SECONDS, ...(target.externalId === undefined ? {} : { externalId: target.externalId }) };
    assumed = await ctx.deps.assumeRole(input, source, ctx.signal);
    ctx.onStsRequest('AssumeRole', 'success');
  } catch (error) {
    ctx.onStsRequest('AssumeRole', outcomeOf(error));
    return failure(ctx, 'AssumeRole', target, error);
  }
  const claimed = assumed.assumedRoleArn;
  const verified = targetStates(ctx).get(target.arn);
  const fresh = verified !== undefined && verified.verifiedArn === claimed && ctx.now() - verified.verifiedAt < ctx.config.identityIntervalMs;
  if (fresh && claimed !== undefined) return judge(ctx, target, claimed, false);
  try {
    const identity = await ctx.deps.getCallerIdentity(assumed, ctx.signal);
    ctx.onStsRequest('GetCallerIdentity', 'success');
    return judge(ctx, target, identity.arn, true);
  } catch (error) {
    ctx.onStsRequest('GetCallerIdentity', outcomeOf(error));
    return failure(ctx, 'GetCallerIdentity', target, error);
  }
}

/** The identity is an assumed-role session of the target role, in the target's account. */
function judge(ctx: CheckContext, target: RoleTarget, arn: string, verifiedNow: boolean): Outcome {
  let problem: string | undefined;
  try {
    if (!isSessionOf(arn, target)) problem = `is not a session of ${target.arn}`;
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
    problem = `is not an assumed-role ARN: ${error.message}`;
  }
  if (problem !== undefined) {
    targetStates(ctx).delete(target.arn);
    const cause = `AssumeRole into ${target.arn} gave the identity ${arn}, which ${problem}`;
    return outcome(target, 'role_mismatch', cause, 'Check the target ARN in IRSA_PROBE_ASSUME_ROLES; STS or a proxy answering for it returned another role.');
  }
  if (verifiedNow) targetStates(ctx).set(target.arn, { verifiedArn: arn, verifiedAt: ctx.now() });
  return { result: { target: target.arn, status: 'pass', message: `assumed ${arn}` } };
}

function failure(ctx: CheckContext, operation: 'AssumeRole' | 'GetCallerIdentity', target: RoleTarget, error: unknown): Outcome {
  // A throttled or unreachable STS says nothing against the target: keep its verified identity.
  if (!isTransient(error)) targetStates(ctx).delete(target.arn);
  const sourceRoleArn = ctx.config.expectedRoleArn;
  const d = diagnoseRoleChain(error, { operation, target, sourceRoleArn, sts: diagnosisContext(ctx, operation) });
  return outcome(target, d.reason, d.cause, d.fix);
}

function outcome(target: RoleTarget, reason: NonNullable<TargetResult['reason']>, cause: string, fix: string): Outcome {
  return { result: { target: target.arn, status: 'fail', reason, message: `${target.arn} failed (${reason})` }, finding: { check: 'roles', severity: 'error', reason, cause, fix } };
}

function targetStates(ctx: CheckContext): NonNullable<CheckContext['state']['roleTargets']> {
  return (ctx.state.roleTargets ??= new Map());
}
