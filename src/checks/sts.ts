/**
 * sts: the pod can act as its role. IRSA: AssumeRoleWithWebIdentity with the
 * token, then GetCallerIdentity with the returned credentials. Pod Identity:
 * the agent's credentials, then GetCallerIdentity. Credentials are reused
 * between cycles (DESIGN.md "Fleet safety"), so a steady-state cycle costs one
 * STS call.
 */
import { AwsNameError, parseAssumedRoleArn, parseRoleArn } from '../aws-names.js';
import { diagnoseSts, errorFacts, transportDiagnosis, transportReason, type DiagnosisContext } from '../diagnose.js';
import { redactUrl } from '../redact.js';
import { NAMESPACE_SHAPE, SERVICE_ACCOUNT_SHAPE, shaped, shellCommand } from '../shell.js';
import { fail, pass, type Check, type CheckContext, type Credentials, type Verdict } from './context.js';

/** Re-assume when credentials have less than this left. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

export const stsCheck: Check = async (ctx) => {
  const obtained = await obtainCredentials(ctx);
  if ('status' in obtained) return obtained;
  let identity: { arn: string; account: string };
  try {
    identity = await ctx.deps.getCallerIdentity(obtained.credentials, ctx.signal);
    ctx.onStsRequest('GetCallerIdentity', 'success');
  } catch (error) {
    ctx.onStsRequest('GetCallerIdentity', outcomeOf(error));
    // Throttling, timeouts, network errors and 5xx say nothing against the
    // credentials: keep them, so the retry costs one STS call, not two.
    if (!isTransient(error)) dropCredentials(ctx);
    const d = diagnoseSts(error, diagnosisContext(ctx, 'GetCallerIdentity'));
    return fail('sts', d.reason, d.cause, d.fix);
  }
  ctx.state.assumedRoleArn = identity.arn;
  const mismatch = roleMismatch(ctx, identity.arn);
  if (mismatch !== undefined) return mismatch;
  const expires = obtained.credentials.expiration;
  const how = obtained.fresh ? 'assumed' : 'reused credentials of';
  return pass(`${how} ${identity.arn}${expires ? `, credentials expire ${expires.toISOString()}` : ''}`);
};

type Obtained = { credentials: Credentials; fresh: boolean } | Verdict;

async function obtainCredentials(ctx: CheckContext): Promise<Obtained> {
  const { state } = ctx;
  const reason = refreshReason(ctx);
  if (reason === undefined && state.credentials !== undefined) return { credentials: state.credentials, fresh: false };
  return ctx.mechanism.mechanism === 'pod-identity' ? fromPodIdentityAgent(ctx) : assume(ctx);
}

/** Why new credentials are needed now, or undefined to reuse the cached ones. */
export function refreshReason(ctx: CheckContext): string | undefined {
  const { state } = ctx;
  const now = ctx.now();
  if (state.credentials === undefined) return 'no credentials yet';
  if (ctx.cycle.tokenFingerprint !== undefined && ctx.cycle.tokenFingerprint !== state.tokenFingerprint) return 'token changed';
  const expiration = state.credentials.expiration?.getTime();
  if (expiration !== undefined && expiration - now < REFRESH_MARGIN_MS) return 'credentials close to expiry';
  if (state.assumedAt === undefined || now - state.assumedAt >= ctx.config.assumeIntervalMs) return 'assume interval elapsed';
  return undefined;
}

async function assume(ctx: CheckContext): Promise<Obtained> {
  const token = ctx.cycle.token;
  const roleArn = ctx.config.aws.roleArn;
  if (token === undefined || roleArn === undefined) {
    return fail('sts', 'env_missing', 'no token or role to assume', 'See the env and token checks.');
  }
  try {
    const credentials = await ctx.deps.assumeRoleWithWebIdentity({ roleArn, sessionName: sessionName(ctx), token }, ctx.signal);
    ctx.onStsRequest('AssumeRoleWithWebIdentity', 'success');
    remember(ctx, credentials);
    return { credentials, fresh: true };
  } catch (error) {
    ctx.onStsRequest('AssumeRoleWithWebIdentity', outcomeOf(error));
    dropCredentials(ctx);
    const d = diagnoseSts(error, diagnosisContext(ctx, 'AssumeRoleWithWebIdentity'));
    return fail('sts', d.reason, d.cause, d.fix);
  }
}

async function fromPodIdentityAgent(ctx: CheckContext): Promise<Obtained> {
  try {
    const credentials = await ctx.deps.podIdentityCredentials(ctx.signal);
    ctx.onStsRequest('PodIdentityAgent', 'success');
    remember(ctx, credentials);
    return { credentials, fresh: true };
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
  ctx.state.tokenFingerprint = ctx.cycle.tokenFingerprint;
}

function dropCredentials(ctx: CheckContext): void {
  ctx.state.credentials = undefined;
  ctx.state.assumedAt = undefined;
}

function roleMismatch(ctx: CheckContext, arn: string): Verdict | undefined {
  const expectedArn = ctx.config.expectedRoleArn ?? ctx.config.aws.roleArn;
  if (expectedArn === undefined) return undefined;
  let expected: ReturnType<typeof parseRoleArn>;
  let actual: ReturnType<typeof parseAssumedRoleArn>;
  try {
    expected = parseRoleArn(expectedArn);
    actual = parseAssumedRoleArn(arn);
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
    return fail('sts', 'role_mismatch', `the caller identity ${arn} is not an assumed role of ${expectedArn}: ${error.message}`, 'Check AWS_ROLE_ARN and IRSA_PROBE_EXPECTED_ROLE_ARN.');
  }
  if (expected.roleName === actual.roleName && expected.accountId === actual.accountId) return undefined;
  return fail('sts', 'role_mismatch', `the pod acts as ${arn}, not as the expected role ${expectedArn}`, `Point the ServiceAccount's eks.amazonaws.com/role-arn annotation (or the pod identity association) at ${expectedArn} and restart the pod, or correct IRSA_PROBE_EXPECTED_ROLE_ARN.`);
}

export function sessionName(ctx: CheckContext): string {
  const name = ctx.config.aws.roleSessionName ?? `irsa-probe-${ctx.config.podName}`;
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
