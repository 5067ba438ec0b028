/**
 * sts: the pod can act as its role, re-proved every cycle (DESIGN.md
 * "Detection before the application"). IRSA: AssumeRoleWithWebIdentity with
 * the current token, the call that evaluates the OIDC provider, its keys and
 * thumbprint, the audience and the trust policy. Pod Identity: the node's
 * agent. GetCallerIdentity, which needs no permission and proves little with
 * credentials just issued, runs on the first success, when the identity
 * changes, and otherwise once per identity interval: about one STS call per
 * cycle at steady state ("Fleet safety").
 */
import { AwsNameError, isSessionOf, parseRoleArn } from '../aws-names.js';
import { diagnoseSts, errorFacts, transportDiagnosis, transportReason, type DiagnosisContext } from '../diagnose.js';
import { redactUrl } from '../redact.js';
import { NAMESPACE_SHAPE, SERVICE_ACCOUNT_SHAPE, shaped, shellCommand } from '../shell.js';
import { fingerprint } from '../token-file.js';
import { fail, pass, type Check, type CheckContext, type Credentials, type Verdict } from './context.js';

export const stsCheck: Check = async (ctx) => {
  const obtained = ctx.mechanism.mechanism === 'pod-identity' ? await fromPodIdentityAgent(ctx) : await assume(ctx);
  if ('status' in obtained) return obtained;
  const verb = ctx.mechanism.mechanism === 'pod-identity' ? 'got credentials from the agent for' : 'assumed';
  let arn = ctx.state.assumedRoleArn;
  const reason = identityCheckReason(ctx, obtained.identityKey);
  if (reason !== undefined || arn === undefined) {
    const verified = await callerIdentity(ctx, obtained);
    if (typeof verified !== 'string') return verified;
    arn = verified;
  }
  const mismatch = roleMismatch(ctx, arn);
  if (mismatch !== undefined) return mismatch;
  const expires = obtained.credentials.expiration;
  const checked = reason === undefined ? 'identity unchanged' : `caller identity checked (${reason})`;
  return pass(`${verb} ${arn}, ${checked}${expires ? `, credentials expire ${expires.toISOString()}` : ''}`);
};

/**
 * New credentials and what identifies them. IRSA: the AssumedRoleUser ARN STS
 * returned (every assume issues a new access key, so the key says nothing).
 * Pod Identity: a fingerprint of the access key id (the agent hands out the
 * same credentials until it renews them).
 */
interface Obtained {
  readonly credentials: Credentials;
  readonly identityKey: string;
}

/** Why GetCallerIdentity must run this cycle, or undefined when the identity is known and recent. */
function identityCheckReason(ctx: CheckContext, identityKey: string): string | undefined {
  const { state } = ctx;
  if (state.identityCheckedAt === undefined || state.identityKey === undefined) return 'not checked since the last failure or start';
  if (state.identityKey !== identityKey) return 'identity changed';
  if (ctx.now() - state.identityCheckedAt >= ctx.config.identityIntervalMs) return 'identity interval elapsed';
  return undefined;
}

async function callerIdentity(ctx: CheckContext, obtained: Obtained): Promise<string | Verdict> {
  try {
    const identity = await ctx.deps.getCallerIdentity(obtained.credentials, ctx.signal);
    ctx.onStsRequest('GetCallerIdentity', 'success');
    ctx.state.assumedRoleArn = identity.arn;
    ctx.state.identityKey = obtained.identityKey;
    ctx.state.identityCheckedAt = ctx.now();
    return identity.arn;
  } catch (error) {
    ctx.onStsRequest('GetCallerIdentity', outcomeOf(error));
    forgetIdentity(ctx);
    // Throttling, timeouts, network errors and 5xx say nothing against the
    // credentials: keep them for the checks after this one.
    if (!isTransient(error)) dropCredentials(ctx);
    const d = diagnoseSts(error, diagnosisContext(ctx, 'GetCallerIdentity'));
    return fail('sts', d.reason, d.cause, d.fix);
  }
}

async function assume(ctx: CheckContext): Promise<Obtained | Verdict> {
  const token = ctx.cycle.token;
  const roleArn = ctx.config.aws.roleArn;
  if (token === undefined || roleArn === undefined) {
    return fail('sts', 'env_missing', 'no token or role to assume', 'See the env and token checks.');
  }
  try {
    const credentials = await ctx.deps.assumeRoleWithWebIdentity({ roleArn, sessionName: sessionName(ctx), token }, ctx.signal);
    ctx.onStsRequest('AssumeRoleWithWebIdentity', 'success');
    remember(ctx, credentials);
    return { credentials, identityKey: credentials.assumedRoleArn ?? `key:${fingerprint(credentials.accessKeyId)}` };
  } catch (error) {
    ctx.onStsRequest('AssumeRoleWithWebIdentity', outcomeOf(error));
    dropCredentials(ctx);
    const d = diagnoseSts(error, diagnosisContext(ctx, 'AssumeRoleWithWebIdentity'));
    return fail('sts', d.reason, d.cause, d.fix);
  }
}

async function fromPodIdentityAgent(ctx: CheckContext): Promise<Obtained | Verdict> {
  try {
    const credentials = await ctx.deps.podIdentityCredentials({ token: ctx.cycle.token }, ctx.signal);
    ctx.onStsRequest('PodIdentityAgent', 'success');
    remember(ctx, credentials);
    return { credentials, identityKey: `key:${fingerprint(credentials.accessKeyId)}` };
  } catch (error) {
    ctx.onStsRequest('PodIdentityAgent', outcomeOf(error));
    dropCredentials(ctx);
    const facts = errorFacts(error);
    const uri = redactUrl(ctx.config.aws.containerCredentialsFullUri ?? '');
    const transport = transportReason(facts);
    if (transport !== undefined) {
      const d = transportDiagnosis(transport, facts, ctx.state, 'the EKS Pod Identity agent');
      return fail('sts', d.reason, d.cause.replace('the EKS Pod Identity agent', `the EKS Pod Identity agent at ${uri}`), d.fix);
    }
    return fail('sts', 'pod_identity_error', `the EKS Pod Identity agent at ${uri} refused credentials: ${facts.message}`, [
      'Check that the eks-pod-identity-agent add-on runs on this node (kubectl -n kube-system get ds eks-pod-identity-agent),',
      'that a pod identity association exists for this namespace and service account:',
      `  ${shellCommand('aws', 'eks', 'list-pod-identity-associations', '--cluster-name', '<CLUSTER>', '--namespace', shaped(ctx.state.claims?.namespace, NAMESPACE_SHAPE, '<NAMESPACE>'), '--service-account', shaped(ctx.state.claims?.serviceAccount, SERVICE_ACCOUNT_SHAPE, '<SERVICE_ACCOUNT>'))}`,
      "and that the role's trust policy allows pods.eks.amazonaws.com to sts:AssumeRole and sts:TagSession.",
    ].join('\n'));
  }
}

function remember(ctx: CheckContext, credentials: Credentials): void {
  ctx.state.credentials = credentials;
  ctx.state.assumedAt = ctx.now();
}

function dropCredentials(ctx: CheckContext): void {
  ctx.state.credentials = undefined;
  ctx.state.assumedAt = undefined;
  forgetIdentity(ctx);
}

/** The next success checks the caller identity again. */
function forgetIdentity(ctx: CheckContext): void {
  ctx.state.identityKey = undefined;
  ctx.state.identityCheckedAt = undefined;
}

function roleMismatch(ctx: CheckContext, arn: string): Verdict | undefined {
  const expectedArn = ctx.config.expectedRoleArn;
  if (expectedArn === undefined) return undefined;
  try {
    if (isSessionOf(arn, parseRoleArn(expectedArn))) return undefined;
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
    return fail('sts', 'role_mismatch', `the caller identity ${arn} is not an assumed role of ${expectedArn}: ${error.message}`, 'Check AWS_ROLE_ARN and IRSA_PROBE_EXPECTED_ROLE_ARN.');
  }
  return fail('sts', 'role_mismatch', `the pod acts as ${arn}, not as the expected role ${expectedArn}`, `Point the ServiceAccount's eks.amazonaws.com/role-arn annotation (or the pod identity association) at ${expectedArn} and restart the pod, or correct IRSA_PROBE_EXPECTED_ROLE_ARN.`);
}

function sessionName(ctx: CheckContext): string {
  return stsSessionName(ctx.config.aws.roleSessionName ?? `irsa-probe-${ctx.config.podName}`);
}

/** A session name STS accepts: each character outside [\w+=,.@-] replaced, cut to 64 characters. */
export function stsSessionName(name: string): string {
  return name.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export function diagnosisContext(ctx: CheckContext, operation: string): DiagnosisContext {
  return {
    operation,
    roleArn: ctx.config.aws.roleArn,
    claims: ctx.state.claims,
    audience: ctx.audience,
    region: ctx.config.aws.region,
    stsEndpoint: ctx.state.stsEndpoint,
  };
}

/** An STS failure that is not about the caller: throttled, timed out, unreachable or a server error. */
export function isTransient(error: unknown): boolean {
  const facts = errorFacts(error);
  return transportReason(facts) !== undefined || (facts.status !== undefined && facts.status >= 500);
}

export function outcomeOf(error: unknown): 'throttled' | 'error' {
  return transportReason(errorFacts(error)) === 'throttled' ? 'throttled' : 'error';
}
