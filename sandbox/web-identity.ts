/**
 * What STS does with a web identity token: find the account's OIDC provider
 * for the token's issuer, check its thumbprint, fetch the issuer's discovery
 * document and JWKS over HTTP, verify the signature and expiry (jose), and
 * check the audience against the provider's client IDs.
 */
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { issuerHostPath, oidcProviderArn } from './defaults.js';
import type { Account, OidcProvider } from './scenarios.js';
import { stsErrors } from './sts-errors.js';

export interface VerifiedToken {
  readonly claims: JWTPayload & { sub: string; iss: string };
  readonly provider: OidcProvider;
  readonly providerArn: string;
  /** The token audience the provider accepted. */
  readonly audience: string;
}

/** How long STS waits for an issuer's discovery document or keys. */
const FETCH_TIMEOUT_MS = 3000;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

export class WebIdentityVerifier {
  /** One remote key set per issuer, as STS caches keys. */
  private readonly keySets = new Map<string, Promise<KeySet>>();

  /** Throws StsError with AWS's code and message on every failure. */
  async verify(token: string, account: Account, idpUnreachable: boolean, now = Date.now()): Promise<VerifiedToken> {
    const unverified = decodeUnverified(token);
    const hostPath = issuerHostPath(unverified.iss);
    const provider = account.providers.find((p) => p.issuerHostPath === hostPath);
    if (provider === undefined) throw stsErrors.noProvider(unverified.iss);
    if (idpUnreachable) throw stsErrors.idpUnreachable();
    const thumbprint = this.thumbprintOf(unverified.iss);
    if (thumbprint === undefined || !provider.thumbprints.includes(thumbprint)) throw stsErrors.badThumbprint();
    const keySet = await this.keySet(unverified.iss);
    const claims = await verifySignature(token, keySet, unverified.iss, now);
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    const audience = audiences.find((a) => provider.clientIds.includes(a));
    if (audience === undefined) throw stsErrors.badAudience();
    return { claims: { ...claims, sub: claims.sub ?? '', iss: unverified.iss }, provider, providerArn: oidcProviderArn(account.id, unverified.iss), audience };
  }

  /**
   * `thumbprintOf` gives an issuer's CA thumbprint. The sandbox issuer serves
   * plain HTTP, so the thumbprint is modelled: the world says what it is.
   */
  constructor(private readonly thumbprintOf: (issuerUrl: string) => string | undefined) {}

  private keySet(issuer: string): Promise<KeySet> {
    let pending = this.keySets.get(issuer);
    if (pending === undefined) {
      pending = discoverKeySet(issuer);
      this.keySets.set(issuer, pending);
      pending.catch(() => this.keySets.delete(issuer));
    }
    return pending;
  }
}

function decodeUnverified(token: string): { iss: string } {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw stsErrors.notAJwt();
  }
  if (typeof claims.iss !== 'string' || claims.iss.length === 0) throw stsErrors.notAJwt();
  return { iss: claims.iss };
}

async function discoverKeySet(issuer: string): Promise<KeySet> {
  let jwksUri: string;
  try {
    const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
    if (typeof document.jwks_uri !== 'string' || document.issuer !== issuer) throw new Error('discovery document does not match the issuer');
    jwksUri = document.jwks_uri;
  } catch {
    throw stsErrors.keysUnavailable();
  }
  return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 1000 });
}

async function verifySignature(token: string, keySet: KeySet, issuer: string, now: number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keySet, { issuer, algorithms: ['RS256'], currentDate: new Date(now) });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw stsErrors.tokenExpired(Math.floor(now / 1000), Number((error.payload as JWTPayload).exp));
    }
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') throw stsErrors.tokenNotYetValid();
    if (error instanceof errors.JWSSignatureVerificationFailed) throw stsErrors.badTokenSignature();
    const keyProblem = error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid;
    // Anything that is not a JOSE error is the key fetch failing (connection refused, reset).
    if (keyProblem || !(error instanceof errors.JOSEError)) throw stsErrors.keysUnavailable();
    throw stsErrors.notAJwt();
  }
}
