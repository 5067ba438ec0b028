/**
 * token: the projected token is readable, a JWT, for the expected audience and
 * subject form, unexpired, and rotated when kubelet should have rotated it.
 * Re-read every cycle: kubelet swaps the `..data` symlink atomically.
 */
import { describeDuration } from '../duration.js';
import { showList, showValue } from '../redact.js';
import { decodeToken, fingerprint, parseSubject, TokenDecodeError, TokenFileError, type TokenClaims } from '../token-file.js';
import type { Finding } from '../types.js';
import { maskSecret } from '../log.js';
import { fail, pass, warning, type Check, type CheckContext, type Verdict } from './context.js';

/** Clock skew tolerated on iat/nbf, as STS and Kubernetes do. */
export const CLOCK_SKEW_S = 60;
/** kubelet rotates a projected token at 80% of its life or after 24 h. */
export const ROTATE_AT = 0.8;
const MAX_ROTATION_AGE_S = 24 * 3600;

export const tokenCheck: Check = async (ctx) => {
  const path = tokenPath(ctx);
  if (path === undefined) {
    // Sent as the SDK sends it when no file is set.
    ctx.cycle.token = ctx.config.aws.containerAuthorizationToken;
    maskSecret(ctx.cycle.token);
    return pass('the authorization token is set inline (AWS_CONTAINER_AUTHORIZATION_TOKEN); no file to check');
  }
  let text: string;
  try {
    ({ text } = await ctx.deps.readTokenFile(path));
  } catch (error) {
    return readFailure(ctx, path, error);
  }
  let claims: TokenClaims;
  try {
    claims = decodeToken(text);
  } catch (error) {
    if (!(error instanceof TokenDecodeError)) throw error;
    return fail('token', 'token_malformed', `${path}: ${error.message}`, 'The file must hold the projected service-account token written by kubelet. Check the projected volume (serviceAccountToken source) in the pod spec and that nothing else writes to the mount.');
  }
  ctx.cycle.token = text;
  maskSecret(text);
  ctx.cycle.tokenFingerprint = fingerprint(text);
  noteRotation(ctx);
  ctx.state.claims = claims;
  return judgeClaims(ctx, path, claims);
};

function tokenPath(ctx: CheckContext): string | undefined {
  const { aws } = ctx.config;
  return ctx.mechanism.mechanism === 'pod-identity' ? aws.containerAuthorizationTokenFile : aws.webIdentityTokenFile;
}

function noteRotation(ctx: CheckContext): void {
  const previous = ctx.state.tokenFingerprintSeen;
  if (previous !== ctx.cycle.tokenFingerprint) {
    if (previous !== undefined) ctx.state.tokenChangedAt = ctx.now();
    ctx.state.tokenFingerprintSeen = ctx.cycle.tokenFingerprint;
  }
}

function readFailure(ctx: CheckContext, path: string, error: unknown): Verdict {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof TokenFileError) {
    return fail('token', 'token_malformed', error.message, 'The file must hold only the projected service-account token written by kubelet; check the volume mount.');
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return fail('token', 'token_missing', `${path} does not exist`, ctx.mechanism.mechanism === 'pod-identity'
      ? 'The EKS Pod Identity webhook mounts the token at /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/; check the pod has the eks-pod-identity-token projected volume and that this container mounts it.'
      : 'The pod identity webhook mounts the token at /var/run/secrets/eks.amazonaws.com/serviceaccount/; check the pod has the aws-iam-token projected volume and that this container mounts it (a sidecar added after mutation, or listed in eks.amazonaws.com/skip-containers, gets no mount).');
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return fail('token', 'token_unreadable', `${path} is not readable by this process (uid ${process.getuid?.() ?? '?'}): permission denied`, 'Set the pod\'s securityContext.fsGroup (for example fsGroup: 65534) so a non-root container can read the projected token, or run the container with the group that owns the file.');
  }
  return fail('token', 'token_unreadable', `${path} could not be read: ${code ?? (error as Error).name}`, 'Check the projected volume and the container\'s mounts.');
}

function judgeClaims(ctx: CheckContext, path: string, claims: TokenClaims): Verdict {
  const nowS = ctx.now() / 1000;
  const warnings: Finding[] = [];
  if (claims.exp === undefined) {
    return fail('token', 'token_malformed', `${path}: the token has no "exp" claim`, 'Kubernetes projected tokens always carry exp; check that the file holds a projected service-account token.');
  }
  if (claims.exp <= nowS) {
    return fail('token', 'token_expired', `the token expired ${ago(nowS - claims.exp)} (exp ${iso(claims.exp)}): kubelet stopped rotating it`, 'Check the pod\'s projected volume (serviceAccountToken with expirationSeconds) and kubelet on the node (kubelet logs for "token" errors); restarting the pod gets a fresh token. An application must re-read the file, never cache the token.');
  }
  const skewed = [claims.iat, claims.nbf].find((t) => t !== undefined && t > nowS + CLOCK_SKEW_S);
  if (skewed !== undefined) {
    return fail('token', 'token_malformed', `the token is issued in the future (iat/nbf ${iso(skewed)}, ${Math.round(skewed - nowS)} s ahead of this clock)`, 'The node\'s clock is behind the API server\'s: fix time synchronisation (chrony/NTP) on the node. STS rejects tokens that are not yet valid.');
  }
  if (!claims.aud.includes(ctx.audience)) {
    return fail('token', 'token_audience', `the token's audience is ${showList(claims.aud)}, not ${showValue(ctx.audience)}`, `Set the projected volume's audience to ${ctx.audience} (the webhook's default for IRSA is sts.amazonaws.com), or set IRSA_PROBE_AUDIENCE if the role's OIDC provider uses another client ID.`);
  }
  const subject = parseSubject(claims.sub);
  if (subject === undefined) {
    return fail('token', 'token_malformed', `the token's subject ${claims.sub === undefined ? 'null' : showValue(claims.sub)} is not of the form system:serviceaccount:NAMESPACE:NAME`, 'Use a projected service-account token (serviceAccountToken volume source), not another kind of token.');
  }
  if (ctx.config.namespace !== undefined && subject.namespace !== ctx.config.namespace) {
    warnings.push(warning('token', `the token is for namespace ${subject.namespace} but the pod runs in ${ctx.config.namespace}`, 'Check that the token file belongs to this pod.'));
  }
  if (claims.iss === undefined) {
    return fail('token', 'token_malformed', 'the token has no "iss" claim: STS cannot find its OIDC provider', 'Check the cluster\'s --service-account-issuer.');
  }
  const stale = rotationOverdue(claims, nowS);
  if (stale !== undefined) {
    return fail('token', 'token_stale', stale, 'kubelet should have rotated the token by now: check the projected volume, kubelet on the node, and that the file is not copied or cached elsewhere. Restarting the pod gets a fresh token.', warnings);
  }
  return pass(`${claims.sub}, aud ${claims.aud.join(',')}, expires in ${describeDuration((claims.exp - nowS) * 1000)}`, warnings);
}

/** A message when the token is older than kubelet lets a token get, else undefined. */
export function rotationOverdue(claims: TokenClaims, nowS: number): string | undefined {
  if (claims.iat === undefined || claims.exp === undefined) return undefined;
  const life = claims.exp - claims.iat;
  const rotateAfter = Math.min(ROTATE_AT * life, MAX_ROTATION_AGE_S);
  const grace = Math.min(0.1 * life, 300);
  const age = nowS - claims.iat;
  if (age <= rotateAfter + grace) return undefined;
  return `the token is ${describeDuration(age * 1000)} old; kubelet rotates it after ${describeDuration(rotateAfter * 1000)} (80% of its ${describeDuration(life * 1000)} life), so rotation is overdue`;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function ago(seconds: number): string {
  return `${describeDuration(seconds * 1000)} ago`;
}

