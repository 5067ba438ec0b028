/**
 * Error → Finding: a bounded reason, the likely cause and the exact fix
 * (DESIGN.md §5). Messages quoted from AWS are scrubbed of anything that
 * looks like a token or a key before they reach a Finding.
 */
import { bytes, MAX_RESPONSE_BYTES, RESPONSE_TOO_LARGE } from './capped-handler.js';
import { scrubText } from './log.js';
import { oneLine, showList, showValue } from './redact.js';
import { INVALID_VALUE, ISSUER_SHAPE, shaped, shellCommand } from './shell.js';
import { issuerHostPath, type TokenClaims } from './token-file.js';
import type { Reason } from './types.js';

/**
 * The probe proves a current SDK's default chain; the application's own SDK
 * and configuration may still differ. Fixes and /status point here.
 */
export const SDK_POINTER = 'If the probe passes but the application fails, see README "Probe green, application red" (#probe-green-application-red).';

export interface Diagnosis {
  readonly reason: Reason;
  readonly cause: string;
  readonly fix: string;
}

/** What the diagnosis knows about this pod; no secrets. */
export interface DiagnosisContext {
  readonly operation: string;
  readonly roleArn?: string;
  readonly claims?: TokenClaims;
  readonly audience: string;
  readonly region?: string;
  readonly stsEndpoint: string;
}

export interface ErrorFacts {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
  readonly code?: string;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'SlowDown']);
const TIMEOUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** What the SDK appends to an error met while reading an answer: no help to someone reading the probe's report. */
const SDK_HINT = / ?Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\./;

/** The facts of any thrown value, scrubbed and on one line (an SDK message may span several). */
export function errorFacts(error: unknown): ErrorFacts {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: { code?: unknown } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = oneLine(scrub(joinLines(typeof e.message === 'string' ? e.message : describe(error)).replace(SDK_HINT, '')));
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return { name, message, status, code };
}

/** The lines of a message joined by a space (split and trim are linear, unlike a whitespace regex). */
function joinLines(text: string): string {
  return text.split(/[\r\n\u2028\u2029]/).map((line) => line.trim()).filter((line) => line !== '').join(' ');
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Network, timeout and throttling errors, common to every AWS call. */
export function transportReason(facts: ErrorFacts): Reason | undefined {
  if (THROTTLING.has(facts.name) || facts.status === 429 || /rate exceeded/i.test(facts.message)) return 'throttled';
  // The SDK names a reset or a refused connection TimeoutError too; its code tells them apart from a real timeout.
  if (facts.code !== undefined && facts.code !== 'ETIMEDOUT' && NETWORK_CODES.has(facts.code)) return 'network';
  if (facts.name === RESPONSE_TOO_LARGE) return 'network';
  if (TIMEOUT.has(facts.name) || /timed? ?out|aborted/i.test(facts.message)) return 'timeout';
  if ((facts.code !== undefined && NETWORK_CODES.has(facts.code)) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/.test(facts.message)) return 'network';
  return undefined;
}

/** `<operation> at <endpoint> answered <Name> (HTTP <status>): <message>`, without a closing full stop: causes add exactly one, whether or not AWS's message ends with its own. */
export function answered(operation: string, stsEndpoint: string, facts: ErrorFacts): string {
  return `${operation} at ${stsEndpoint} answered ${facts.name}${facts.status ? ` (HTTP ${facts.status})` : ''}: ${facts.message}`.replace(/[.\s]+$/, '');
}

export function diagnoseSts(error: unknown, ctx: DiagnosisContext): Diagnosis {
  const facts = errorFacts(error);
  const said = answered(ctx.operation, ctx.stsEndpoint, facts);
  const transport = transportReason(facts);
  if (transport !== undefined) return transportDiagnosis(transport, facts, ctx, 'STS');
  const name = facts.name.replace(/Exception$/, '');
  const issuer = ctx.claims?.iss === undefined ? '<token issuer>' : oneLine(ctx.claims.iss);
  switch (name) {
    case 'InvalidIdentityToken':
      if (/No OpenIDConnect provider found/i.test(facts.message)) {
        return { reason: 'oidc_provider_missing', cause: `${said}. The account has no IAM OIDC provider for the token's issuer ${issuer} (never created, the cluster was recreated with a new issuer, or it lives in another account or partition).`, fix: oidcProviderFix(ctx) };
      }
      if (/audience/i.test(facts.message)) {
        return { reason: 'token_audience', cause: `${said}. The IAM OIDC provider for ${issuer} does not list the token's audience ${showList(ctx.claims?.aud ?? [ctx.audience])} among its client IDs.`, fix: `Add the audience to the provider's client ID list:\n  ${shellCommand('aws', 'iam', 'add-client-id-to-open-id-connect-provider', '--open-id-connect-provider-arn', providerArn(ctx), '--client-id', ctx.audience)}` };
      }
      if (/thumbprint|certificate/i.test(facts.message)) {
        return { reason: 'oidc_thumbprint', cause: `${said}. The IAM OIDC provider's CA thumbprint is missing or stale for ${issuer}.`, fix: thumbprintFix(ctx) };
      }
      if (/verification key|retrieve|JWKS|keys/i.test(facts.message)) {
        return { reason: 'oidc_key_unavailable', cause: `${said}. STS could not fetch the signing keys from the issuer's JWKS; often transient.`, fix: `Usually transient: the probe retries with backoff. If it persists, check that ${issuer}/.well-known/openid-configuration and its jwks_uri are reachable over HTTPS from the internet.` };
      }
      return { reason: 'token_malformed', cause: `${said}. STS rejected the token itself.`, fix: 'Check that the token file holds a projected service-account token for this cluster.' };
    case 'IDPCommunicationError':
      return { reason: 'oidc_key_unavailable', cause: `${said}. STS could not reach the identity provider; often transient.`, fix: `Usually transient: the probe retries with backoff and alerts only when it persists. Check that ${issuer}/.well-known/openid-configuration is reachable.` };
    case 'IDPRejectedClaim':
    case 'AccessDenied':
      return { reason: 'trust_policy_mismatch', cause: `${said}. The role's trust policy does not admit this token: its Federated principal, ":sub" or ":aud" condition does not match this pod (wrong namespace or service account name, StringEquals with a wildcard, a provider ARN typo, or a provider in another account), or the role does not exist (deleted, or a typo in its name): AWS answers both alike.`, fix: trustPolicyFix(ctx) };
    case 'ValidationError':
      if (/arn/i.test(facts.message)) {
        return { reason: 'env_invalid', cause: `${said}. AWS_ROLE_ARN=${showValue(ctx.roleArn ?? '')} is malformed.`, fix: 'Fix the eks.amazonaws.com/role-arn annotation to the form arn:aws:iam::<12-digit account>:role/<name>, then restart the pod.' };
      }
      break;
    case 'ExpiredToken':
      return { reason: 'token_expired', cause: `${said}. STS saw an expired token: kubelet stopped rotating it, or a stale copy is being used.`, fix: 'Check the projected volume and kubelet on the node; restarting the pod gets a fresh token.' };
    case 'RegionDisabled':
      return { reason: 'region_disabled', cause: `${said}. STS is not activated in ${ctx.region ?? 'this region'} for the account.`, fix: `Activate STS in ${ctx.region ?? 'the region'} (IAM console → Account settings → Security Token Service (STS) → Endpoints), or set AWS_REGION to a region where it is active.` };
    case 'SignatureDoesNotMatch':
    case 'InvalidClientTokenId':
      if (name === 'InvalidClientTokenId' || /region/i.test(facts.message)) {
        return { reason: 'region_mismatch', cause: `${said}. The request was signed for one region and sent to another STS endpoint (global vs regional), or the session token is not valid in this region.`, fix: `Set AWS_STS_REGIONAL_ENDPOINTS=regional and AWS_REGION=${ctx.region ?? '<region>'} so STS is called at https://sts.<region>.amazonaws.com, and make sure AWS_ENDPOINT_URL_STS (if set) is in the same region.` };
      }
      break;
  }
  if (facts.status !== undefined && facts.status >= 500) {
    return { reason: 'sts_unavailable', cause: `${said}. STS had a server-side failure (AWS is unavailable, not this pod's setup); usually transient.`, fix: 'Nothing to change if it clears; the probe retries at the next interval. If it persists, check the AWS Health Dashboard for STS in this region.' };
  }
  return { reason: 'sts_error', cause: `${said}.`, fix: 'See the STS error above; check the role, its trust policy and the region.' };
}

export function transportDiagnosis(reason: Reason, facts: ErrorFacts, ctx: { stsEndpoint: string }, service: string): Diagnosis {
  const endpoint = service === 'STS' ? ` at ${ctx.stsEndpoint}` : '';
  if (facts.name === RESPONSE_TOO_LARGE) {
    return { reason, cause: `${service}${endpoint} sent a body larger than ${bytes(MAX_RESPONSE_BYTES)}, more than any ${service} answer holds: it is not ${service}, or something in between answers in its place. The probe dropped the connection.`, fix: `Check that AWS_ENDPOINT_URL_${service} and AWS_ENDPOINT_URL, if set, point at ${service} (unset them to use AWS's own endpoint), and that no proxy between the pod and ${service} answers in its place.` };
  }
  switch (reason) {
    case 'throttled':
      return { reason, cause: `${service}${endpoint} throttled the request (${facts.name}): the account's ${service} request rate is exhausted, often by many pods calling at once.`, fix: 'The probe backs off on its own. If it persists, raise IRSA_PROBE_INTERVAL, and look for other callers hammering STS (CloudTrail eventSource sts.amazonaws.com).' };
    case 'timeout':
      return { reason, cause: `${service}${endpoint} did not answer within the timeout (${facts.message}).`, fix: `Check egress from the pod to ${service}${endpoint} (NetworkPolicy, security groups, NAT, VPC endpoint for ${service}), or raise IRSA_PROBE_TIMEOUT.` };
    default:
      return { reason, cause: `${service}${endpoint} could not be reached (${facts.code ?? facts.name}: ${facts.message}).`, fix: `Check DNS and egress from the pod to ${service}${endpoint}: NetworkPolicy, security groups, NAT gateway or an interface VPC endpoint for ${service}, and AWS_ENDPOINT_URL* variables.` };
  }
}

function partitionOf(roleArn: string | undefined): string {
  return /^arn:([^:]+):/.exec(roleArn ?? '')?.[1] ?? 'aws';
}

function accountOf(roleArn: string | undefined): string {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn ?? '')?.[1] ?? '<ACCOUNT_ID>';
}

/** The token's issuer as printed in a fix: the URL when it has an issuer's shape, else a placeholder or INVALID_VALUE. */
function issuerUrl(ctx: Pick<DiagnosisContext, 'claims'>): string {
  return shaped(ctx.claims?.iss, ISSUER_SHAPE, '<ISSUER_URL>');
}

function issuerHost(ctx: Pick<DiagnosisContext, 'claims'>): string {
  const url = shaped(ctx.claims?.iss, ISSUER_SHAPE, '<ISSUER_HOST_AND_PATH>');
  return url === INVALID_VALUE || ctx.claims?.iss === undefined ? url : issuerHostPath(url);
}

export function providerArn(ctx: Pick<DiagnosisContext, 'roleArn' | 'claims'>): string {
  const host = issuerHost(ctx);
  return `arn:${partitionOf(ctx.roleArn)}:iam::${accountOf(ctx.roleArn)}:oidc-provider/${host}`;
}

/** The trust-policy statement that would admit exactly this pod's token. */
export function trustPolicyStatement(ctx: Pick<DiagnosisContext, 'roleArn' | 'claims' | 'audience'>): object {
  const host = issuerHost(ctx);
  return {
    Effect: 'Allow',
    Principal: { Federated: providerArn(ctx) },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        [`${host}:sub`]: ctx.claims?.sub ?? 'system:serviceaccount:<NAMESPACE>:<SERVICE_ACCOUNT>',
        [`${host}:aud`]: ctx.audience,
      },
    },
  };
}

function trustPolicyFix(ctx: DiagnosisContext): string {
  const roleName = /:role\/(?:.*\/)?([^/]+)$/.exec(ctx.roleArn ?? '')?.[1] ?? '<ROLE_NAME>';
  return [
    `Add this statement to the trust policy of ${ctx.roleArn ?? 'the role'} (${shellCommand('aws', 'iam', 'get-role', '--role-name', roleName, '--query', 'Role.AssumeRolePolicyDocument')} shows the current one):`,
    indent(JSON.stringify(trustPolicyStatement(ctx), null, 2)),
    `and check that the OIDC provider ${providerArn(ctx)} exists in the role's account.`,
  ].join('\n');
}

function oidcProviderFix(ctx: DiagnosisContext): string {
  const issuer = issuerUrl(ctx);
  return [
    `Create the IAM OIDC provider for exactly ${issuer} in account ${accountOf(ctx.roleArn)}, with client ID ${ctx.audience}:`,
    `  ${shellCommand('eksctl', 'utils', 'associate-iam-oidc-provider', '--cluster', '<CLUSTER>', '--approve')}`,
    'or',
    `  ${shellCommand('aws', 'iam', 'create-open-id-connect-provider', '--url', issuer, '--client-id-list', ctx.audience)}`,
    'or in Terraform:',
    `  data "tls_certificate" "oidc" { url = ${hclString(issuer)} }`,
    '  resource "aws_iam_openid_connect_provider" "eks" {',
    `    url             = ${hclString(issuer)}`,
    `    client_id_list  = [${hclString(ctx.audience)}]`,
    '    thumbprint_list = [data.tls_certificate.oidc.certificates[0].sha1_fingerprint]',
    '  }',
  ].join('\n');
}

function thumbprintFix(ctx: DiagnosisContext): string {
  const issuer = issuerUrl(ctx);
  return [
    `Set the thumbprint of the root CA of ${issuer} on the provider:`,
    `  ${shellCommand('aws', 'iam', 'update-open-id-connect-provider-thumbprint', '--open-id-connect-provider-arn', providerArn(ctx), '--thumbprint-list', '<SHA1_OF_ROOT_CA>')}`,
    'In Terraform, take it from the tls_certificate data source (the root CA is the first certificate):',
    `  data "tls_certificate" "oidc" { url = ${hclString(issuer)} }`,
    '  thumbprint_list = [data.tls_certificate.oidc.certificates[0].sha1_fingerprint]',
  ].join('\n');
}

/** A Terraform (HCL) string literal: JSON escapes plus the template sequences ${ and %{. */
function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Each line two spaces in (a JSON document inside a fix). */
export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** Masks anything shaped like a token or a key in text quoted from elsewhere, and bounds its length. */
export function scrub(text: string): string {
  return scrubText(text).slice(0, 2000);
}
