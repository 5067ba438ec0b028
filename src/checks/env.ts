/** env: the mechanism's variables are present and well formed. */
import { isAbsolute } from 'node:path';
import { AwsNameError, isRegion, parseRoleArn } from '../aws-names.js';
import { SDK_POINTER } from '../diagnose.js';
import { agentUrlProblem } from '../pod-identity.js';
import { redactUrl, showValue } from '../redact.js';
import { SHARED_FILE_FIX, type SharedFileKeys } from '../shared-profile.js';
import { shellCommand } from '../shell.js';
import type { Finding } from '../types.js';
import { fail, pass, warning, type Check, type CheckContext, type Verdict } from './context.js';

const ANNOTATE_FIX = (ns: string, sa: string): string =>
  [
    'Annotate the ServiceAccount with the role, then restart the pod so the webhook mutates it:',
    `  ${shellCommand('kubectl', 'annotate', 'serviceaccount', '-n', ns, sa, 'eks.amazonaws.com/role-arn=arn:aws:iam::<ACCOUNT_ID>:role/<ROLE_NAME>', '--overwrite')}`,
    `  ${shellCommand('kubectl', 'rollout', 'restart', '-n', ns, 'deployment/<DEPLOYMENT>')}`,
    'Check that the pod runs under that ServiceAccount (spec.serviceAccountName) and that the container is not listed in the',
    'eks.amazonaws.com/skip-containers annotation. For EKS Pod Identity, create a pod identity association instead:',
    `  ${shellCommand('aws', 'eks', 'create-pod-identity-association', '--cluster-name', '<CLUSTER>', '--namespace', ns, '--service-account', sa, '--role-arn', '<ROLE_ARN>')}`,
  ].join('\n');

export const envCheck: Check = async (ctx) => {
  // Before any SDK client reads them: a FIFO or device there would block the read for good.
  const shared = await ctx.deps.sharedFileKeys();
  if (shared !== undefined && 'problem' in shared) return fail('env', 'env_invalid', shared.problem, SHARED_FILE_FIX);
  const warnings = [...commonWarnings(ctx), ...sharedFileWarnings(ctx, shared)];
  switch (ctx.mechanism.mechanism) {
    case 'none':
      return noMechanism(ctx, warnings);
    case 'irsa':
      return irsaEnv(ctx, warnings);
    case 'pod-identity':
      return podIdentityEnv(ctx, warnings);
  }
};

function noMechanism(ctx: CheckContext, warnings: Finding[]): Verdict {
  const { aws } = ctx.config;
  const ns = ctx.config.namespace ?? '<NAMESPACE>';
  const sa = '<SERVICE_ACCOUNT>';
  if (aws.roleArn !== undefined && aws.webIdentityTokenFile === undefined) {
    return fail('env', 'env_missing', 'AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: the SDK ignores a role without a token file', 'Set AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token and mount the projected token (the EKS pod identity webhook does both when the ServiceAccount is annotated).', warnings);
  }
  if (aws.webIdentityTokenFile !== undefined && aws.roleArn === undefined) {
    return fail('env', 'env_missing', 'AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: the SDK cannot assume a role without its ARN', ANNOTATE_FIX(ns, sa), warnings);
  }
  return fail(
    'env',
    'env_missing',
    'no identity variables: neither AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (IRSA) nor AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity) is set, so the pod identity webhook did not mutate this pod and the SDK falls back to other credentials (usually the node role)',
    ANNOTATE_FIX(ns, sa),
    warnings,
  );
}

function irsaEnv(ctx: CheckContext, warnings: Finding[]): Verdict {
  const { aws } = ctx.config;
  const roleArn = aws.roleArn ?? '';
  try {
    parseRoleArn(roleArn);
  } catch (error) {
    if (!(error instanceof AwsNameError)) throw error;
    return fail('env', 'env_invalid', `AWS_ROLE_ARN=${showValue(roleArn)} is not a role ARN: ${error.message}`, `Fix the eks.amazonaws.com/role-arn annotation on the ServiceAccount to the form ${error.expected}, then restart the pod.`, warnings);
  }
  const file = aws.webIdentityTokenFile ?? '';
  if (!isAbsolute(file)) {
    return fail('env', 'env_invalid', `AWS_WEB_IDENTITY_TOKEN_FILE=${showValue(file)} is not an absolute path`, 'Point AWS_WEB_IDENTITY_TOKEN_FILE at the projected token, normally /var/run/secrets/eks.amazonaws.com/serviceaccount/token.', warnings);
  }
  const endpoints = aws.stsRegionalEndpoints;
  if (endpoints !== undefined && endpoints !== 'regional' && endpoints !== 'legacy') {
    return fail('env', 'env_invalid', `AWS_STS_REGIONAL_ENDPOINTS=${showValue(endpoints)} is neither "regional" nor "legacy"`, 'Set AWS_STS_REGIONAL_ENDPOINTS=regional (the webhook sets it with --sts-regional-endpoints=true).', warnings);
  }
  if (endpoints === 'legacy') {
    warnings.push(warning('env', 'AWS_STS_REGIONAL_ENDPOINTS=legacy: SDKs that honour it send STS calls to the global endpoint in us-east-1', 'Set AWS_STS_REGIONAL_ENDPOINTS=regional so STS is called in the pod\'s own region.'));
  }
  return regionAndEndpoints(ctx, warnings, `IRSA: role ${roleArn}, token ${file}`);
}

function podIdentityEnv(ctx: CheckContext, warnings: Finding[]): Verdict {
  const { aws } = ctx.config;
  const uri = aws.containerCredentialsFullUri ?? '';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail('env', 'env_invalid', `AWS_CONTAINER_CREDENTIALS_FULL_URI=${showValue(redactUrl(uri))} is not a URL`, 'It should be http://169.254.170.23/v1/credentials (IPv4) or http://[fd00:ec2::23]/v1/credentials (IPv6), injected by the EKS Pod Identity webhook.', warnings);
  }
  const refused = agentUrlProblem(url);
  if (refused !== undefined) {
    return fail('env', 'env_invalid', `AWS_CONTAINER_CREDENTIALS_FULL_URI=${showValue(redactUrl(uri))} is refused by the AWS SDK: ${refused}`, 'Use the agent address the EKS Pod Identity webhook injects: http://169.254.170.23/v1/credentials (IPv4) or http://[fd00:ec2::23]/v1/credentials (IPv6).', warnings);
  }
  const tokenFile = aws.containerAuthorizationTokenFile;
  if (tokenFile === undefined && !aws.hasContainerAuthorizationToken) {
    return fail('env', 'env_missing', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not set: the Pod Identity agent refuses requests without the token', 'Set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token (the webhook injects it with the projected volume).', warnings);
  }
  if (tokenFile !== undefined && !isAbsolute(tokenFile)) {
    return fail('env', 'env_invalid', `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${showValue(tokenFile)} is not an absolute path`, 'Point it at /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token.', warnings);
  }
  return regionAndEndpoints(ctx, warnings, `EKS Pod Identity: agent ${url.origin}${url.pathname}`);
}

function regionAndEndpoints(ctx: CheckContext, warnings: Finding[], summary: string): Verdict {
  const { aws } = ctx.config;
  if (aws.region !== undefined && !isRegion(aws.region)) {
    const variable = aws.regionVariable ?? 'AWS_REGION';
    return fail('env', 'env_invalid', `${variable}=${showValue(aws.region)} is not an AWS region`, `Set ${variable} to a region code such as us-west-2 or eu-central-1.`, warnings);
  }
  if (aws.region === undefined) {
    warnings.push(warning('env', 'neither AWS_REGION nor AWS_DEFAULT_REGION is set: the probe calls STS in us-east-1, and most SDK clients in the application will fail with "Region is missing"', 'Set AWS_REGION in the pod spec, or start the pod identity webhook with a default region (--aws-default-region).'));
  } else if (aws.regionVariable === 'AWS_DEFAULT_REGION') {
    warnings.push(warning('env', `only AWS_DEFAULT_REGION is set (${aws.region}): the AWS SDK for JavaScript v3 reads AWS_REGION only, so a JavaScript application in this pod has no region`, `Set AWS_REGION=${aws.region} as well (the pod identity webhook sets both when given --aws-default-region).`));
  }
  for (const [name, value] of [
    ['AWS_ENDPOINT_URL_STS', aws.endpointUrlSts],
    ['AWS_ENDPOINT_URL_S3', aws.endpointUrlS3],
    ['AWS_ENDPOINT_URL', aws.endpointUrl],
  ] as const) {
    if (value !== undefined && !isHttpUrl(value)) {
      return fail('env', 'env_invalid', `${name}=${showValue(redactUrl(value))} is not an http(s) URL`, `Set ${name} to a URL such as https://sts.us-west-2.amazonaws.com, or unset it.`, warnings);
    }
  }
  return pass(`${summary}, region ${aws.region ?? 'unset'}, STS ${ctx.state.stsEndpoint}`, warnings);
}

function commonWarnings(ctx: CheckContext): Finding[] {
  const { aws } = ctx.config;
  const warnings: Finding[] = [];
  if (ctx.mechanism.bothSet) {
    warnings.push(warning('env', 'both IRSA (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) and EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI) are set; the SDK default chain uses IRSA first, so the probe checks IRSA', 'Keep one mechanism: remove the eks.amazonaws.com/role-arn annotation or the pod identity association.'));
  }
  if (aws.hasStaticKeys) {
    warnings.push(warning('env', 'AWS_ACCESS_KEY_ID is set: the SDK default chain uses these static keys before the role, so the application does not act as the role', 'Remove AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the pod spec.'));
  }
  if (aws.profile !== undefined) {
    warnings.push(warning('env', 'AWS_PROFILE is set: the SDK default chain reads the shared config profile before web identity', 'Remove AWS_PROFILE unless the profile itself uses web_identity_token_file.'));
  }
  return warnings;
}

/** Static keys in the shared credentials or config file: which SDKs they beat depends on the mechanism. */
function sharedFileWarnings(ctx: CheckContext, found: SharedFileKeys | undefined): Finding[] {
  if (found === undefined) return [];
  const where = `static keys (aws_access_key_id) for profile ${showValue(found.profile)} in ${showValue(found.file)}`;
  // Go v2 reads a profile named by AWS_PROFILE before web identity, the default profile after it.
  const [first, later] = ctx.config.aws.profile === undefined ? ['JavaScript (v2, v3) and Rust', 'Java, Go and PHP'] : ['JavaScript (v2, v3), Rust and Go v2', 'Java and PHP'];
  const who =
    ctx.mechanism.mechanism === 'irsa'
      ? `the ${first} SDKs read this profile before web identity, so such an application uses these keys, not the role; the AWS CLI (botocore), ${later} SDKs try web identity first`
      : ctx.mechanism.mechanism === 'pod-identity'
        ? 'the SDK default chains read this profile before container credentials (EKS Pod Identity) and the node role, so the application uses these keys, not the role'
        : 'the SDK default chains read this profile before the node role, so the application uses these keys';
  return [warning('env', `${where}: ${who}`, `Remove the keys from that file (or the file from the image) so the SDK uses the role. ${SDK_POINTER}`)];
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
