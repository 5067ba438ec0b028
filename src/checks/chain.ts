/**
 * chain: the SDK's default credential chain, which is what the application
 * gets, resolves to the same role, not the node's instance role. The SDK
 * memoises the chain's credentials, so resolving it each cycle costs nothing;
 * GetCallerIdentity runs only when the chain hands out new credentials.
 */
import { AwsNameError, isSessionOf, parseRoleArn } from '../aws-names.js';
import { diagnoseSts, errorFacts, SDK_POINTER } from '../diagnose.js';
import { shellCommand } from '../shell.js';
import { SmallFileError } from '../small-file.js';
import { fingerprint } from '../token-file.js';
import { fail, pass, type Check, type CheckContext, type Verdict } from './context.js';
import { diagnosisContext, outcomeOf } from './sts.js';
import { oneLine } from '../redact.js';

export const chainCheck: Check = async (ctx) => {
  let credentials;
  try {
    credentials = await ctx.deps.defaultChain(ctx.signal);
  } catch (error) {
    return chainError(ctx, error);
  }
  const keyId = fingerprint(credentials.accessKeyId);
  if (ctx.state.chainVerifiedKeyId !== keyId || ctx.state.chainArn === undefined) {
    try {
      const identity = await ctx.deps.getCallerIdentity(credentials, ctx.signal);
      ctx.onStsRequest('GetCallerIdentity', 'success');
      ctx.state.chainArn = identity.arn;
      ctx.state.chainVerifiedKeyId = keyId;
    } catch (error) {
      ctx.onStsRequest('GetCallerIdentity', outcomeOf(error));
      if (errorFacts(error).name === 'InvalidClientTokenId') {
        const keys = await staticKeysIn(ctx, credentials.sessionToken);
        if (keys !== undefined) return fail('chain', 'role_mismatch', `the SDK default chain signs with ${keys}, which STS does not recognise (InvalidClientTokenId); they win over the role`, EARLIER_IN_CHAIN_FIX);
      }
      const d = diagnoseSts(error, diagnosisContext(ctx, 'GetCallerIdentity (default chain credentials)'));
      const reason = d.reason === 'sts_error' ? 'chain_error' : d.reason;
      return fail('chain', reason, d.cause, reason === 'chain_error' ? `${d.fix}\n${SDK_POINTER}` : d.fix);
    }
  }
  return judge(ctx, ctx.state.chainArn);
};

/**
 * Where the chain's keys come from when they are not the role's: role credentials
 * always carry a session token, and keys in the environment or a shared file win
 * over the role in the SDK's chain. Asked only when STS refused the keys.
 */
async function staticKeysIn(ctx: CheckContext, sessionToken: string | undefined): Promise<string | undefined> {
  if (ctx.config.aws.hasStaticKeys) return 'access keys from the environment (AWS_ACCESS_KEY_ID)';
  const shared = await ctx.deps.sharedFileKeys().catch(() => undefined);
  if (shared !== undefined && !('problem' in shared)) return `access keys from ${shared.file} (profile ${oneLine(shared.profile)})`;
  return sessionToken === undefined ? 'long-term access keys (no session token)' : undefined;
}

function judge(ctx: CheckContext, arn: string): Verdict {
  const expectedArn = ctx.config.expectedRoleArn;
  const nodeRoleFix = [
    `The application's SDK resolves ${oneLine(arn)} through its default credential chain instead of the pod's role.`,
    'Annotate the ServiceAccount and restart the pod so the pod identity webhook injects AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE:',
    `  ${shellCommand('kubectl', 'annotate', 'serviceaccount', '-n', ctx.config.namespace ?? '<NAMESPACE>', '<SERVICE_ACCOUNT>', `eks.amazonaws.com/role-arn=${expectedArn ?? 'arn:aws:iam::<ACCOUNT_ID>:role/<ROLE_NAME>'}`, '--overwrite')}`,
    `  ${shellCommand('kubectl', 'rollout', 'restart', '-n', ctx.config.namespace ?? '<NAMESPACE>', 'deployment/<DEPLOYMENT>')}`,
    'Check the annotation key is spelled exactly eks.amazonaws.com/role-arn, the pod uses that serviceAccountName, and the container is not in eks.amazonaws.com/skip-containers.',
    'To stop pods from falling back to the node role at all, require IMDSv2 with a hop limit of 1 on the nodes.',
    SDK_POINTER,
  ].join('\n');
  if (expectedArn === undefined) {
    return fail('chain', 'fallback_to_node_role', `the default credential chain resolves to ${arn}, and this pod has no role of its own`, nodeRoleFix);
  }
  try {
    if (isSessionOf(arn, parseRoleArn(expectedArn))) return pass(`the SDK default chain resolves to ${arn}`);
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
  }
  if (ctx.mechanism.mechanism === 'none') {
    return fail('chain', 'fallback_to_node_role', `the default credential chain resolves to ${arn}, not ${expectedArn}: the webhook did not mutate this pod`, nodeRoleFix);
  }
  return fail('chain', 'role_mismatch', `the SDK default chain resolves to ${arn}, not ${expectedArn}: something earlier in the chain (static keys in the environment, AWS_PROFILE, a shared config file) wins over the role`, EARLIER_IN_CHAIN_FIX);
}

const EARLIER_IN_CHAIN_FIX = 'Remove AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and any ~/.aws/credentials from the container so the SDK uses the role.';

function chainError(ctx: CheckContext, error: unknown): Verdict {
  if (error instanceof SmallFileError) {
    // Refused before the SDK ran: the SDK's own read of that file would block or read without bound.
    return fail('chain', 'chain_error', `the SDK default credential chain was not called: ${error.message}`, `Replace it with the regular file the SDK expects: the application's SDK reads it with a plain blocking read and would hang on it the same way.\n${SDK_POINTER}`);
  }
  const facts = errorFacts(error);
  const base = `the SDK default credential chain resolved no credentials: ${facts.message}`;
  if (ctx.mechanism.mechanism === 'none') {
    return fail('chain', 'chain_error', base, `Nothing in the pod provides credentials: annotate the ServiceAccount with eks.amazonaws.com/role-arn (or create a pod identity association) and restart the pod.\n${SDK_POINTER}`);
  }
  const d = diagnoseSts(error, diagnosisContext(ctx, 'the default credential chain'));
  const reason = d.reason === 'sts_error' ? 'chain_error' : d.reason;
  return fail('chain', reason, `${base}. ${d.cause}`, reason === 'chain_error' ? `${d.fix}\n${SDK_POINTER}` : d.fix);
}
