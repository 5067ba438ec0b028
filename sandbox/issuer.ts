/**
 * The cluster's OIDC issuer: an RSA key pair, the discovery document and the
 * JWKS over HTTP on loopback (EKS serves them at <issuer>/.well-known/
 * openid-configuration and <issuer>/keys), and a minter of projected
 * service-account tokens shaped exactly like kubelet's.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Counters } from './counters.js';
import { guarded, requestUrl, send, sendJson } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';

export interface ServiceAccountIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly serviceAccountUid: string;
  readonly podName: string;
  readonly podUid: string;
}

export interface MintOptions {
  readonly audience: string;
  readonly lifetimeSeconds: number;
  /** Seconds since the epoch the token is issued at (default: now). */
  readonly issuedAt?: number;
}

/**
 * One RS256 key pair per process, made on first use: a 2048-bit key takes
 * 50-400 ms of CPU to generate, and a test process starts dozens of worlds.
 * Worlds in one process then share a signing key, never an issuer: each has
 * its own URL, and STS checks a token's issuer before its signature.
 */
let signingKeys: ReturnType<typeof rsaKeys> | undefined;
/** The key of "another issuer", for signature tests: one per process as well. */
let foreignKeys: ReturnType<typeof rsaKeys> | undefined;
const rsaKeys = () => generateKeyPair('RS256', { modulusLength: 2048 });

export class OidcIssuer extends LoopbackServer {
  /** The issuer's path on its server: `/id/<32 hex>`. */
  private readonly path: string;

  private constructor(
    counters: Counters,
    private readonly privateKey: CryptoKey,
    readonly jwk: JWK,
  ) {
    super(createServer());
    // EKS issuers are https://oidc.eks.<region>.amazonaws.com/id/<32 hex>.
    this.path = `/id/${randomBytes(16).toString('hex').toUpperCase()}`;
    this.server.on('request', guarded(this.handle(counters), (res) => send(res, 500, 'text/plain', 'internal error\n')));
  }

  /** The issuer URL (the tokens' `iss`): `http://127.0.0.1:PORT/id/<32 hex>`. */
  override get url(): string {
    return `${super.url}${this.path}`;
  }

  /** SHA-1 thumbprint of the issuer's root CA, as IAM stores it (modelled: the issuer serves plain HTTP). */
  get thumbprint(): string {
    return createHash('sha1').update(`root-ca:${this.url}`).digest('hex');
  }

  static async start(counters: Counters): Promise<OidcIssuer> {
    const { privateKey, publicKey } = await (signingKeys ??= rsaKeys());
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new OidcIssuer(counters, privateKey, { ...jwk, kid, alg: 'RS256', use: 'sig' }).listen();
  }

  get discoveryUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  get jwksUrl(): string {
    return `${this.url}/keys`;
  }

  private handle(counters: Counters) {
    const path = this.path;
    return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = requestUrl(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        counters.record('issuer', 'other', 'MethodNotAllowed');
        return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
      }
      if (url.pathname === `${path}/.well-known/openid-configuration`) {
        counters.record('issuer', 'discovery');
        return sendJson(res, 200, this.discovery());
      }
      if (url.pathname === `${path}/keys`) {
        counters.record('issuer', 'jwks');
        return sendJson(res, 200, { keys: [this.jwk] });
      }
      counters.record('issuer', 'other', 'NotFound');
      send(res, 404, 'text/plain', '404 page not found\n');
    };
  }

  /** The discovery document EKS serves. */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.url,
      jwks_uri: this.jwksUrl,
      authorization_endpoint: 'urn:kubernetes:programmatic_authorization',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      claims_supported: ['sub', 'iss'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** A projected service-account token as kubelet requests it from the API server (TokenRequest). */
  async mint(who: ServiceAccountIdentity, options: MintOptions): Promise<string> {
    const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
    return new SignJWT({
      aud: [options.audience],
      exp: iat + options.lifetimeSeconds,
      iat,
      iss: this.url,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: who.namespace,
        pod: { name: who.podName, uid: who.podUid },
        serviceaccount: { name: who.serviceAccount, uid: who.serviceAccountUid },
      },
      nbf: iat,
      sub: `system:serviceaccount:${who.namespace}:${who.serviceAccount}`,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.jwk.kid! })
      .sign(this.privateKey);
  }

  /** A token for this issuer signed with another key (for signature tests). */
  static async mintWithForeignKey(issuerUrl: string, who: ServiceAccountIdentity, options: MintOptions, kid: string): Promise<string> {
    const { privateKey } = await (foreignKeys ??= rsaKeys());
    const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
    return new SignJWT({ aud: [options.audience], iss: issuerUrl, sub: `system:serviceaccount:${who.namespace}:${who.serviceAccount}`, iat, nbf: iat, exp: iat + options.lifetimeSeconds })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(privateKey);
  }
}
