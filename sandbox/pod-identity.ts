/**
 * The EKS Pod Identity agent: GET /v1/credentials with the pod's projected
 * token (audience pods.eks.amazonaws.com) as the Authorization header. The
 * token is verified against the cluster issuer's key; the pod identity
 * association for its namespace and service account names the role, and the
 * answer is the container-credentials JSON the SDK's fromHttp provider reads.
 * Like the real agent, it caches a pod's credentials and hands out the same
 * ones until half their lifetime has passed (sooner for short-lived ones).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createLocalJWKSet, errors, jwtVerify, type JWK } from 'jose';
import type { Counters } from './counters.js';
import { awsTimestamp, type CredentialStore, type IssuedCredentials } from './credentials.js';
import { POD_IDENTITY_AUDIENCE } from './defaults.js';
import { guarded, requestUrl, sendJson } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';
import type { Account } from './scenarios.js';

export interface PodIdentityWorld {
  readonly issuerUrl: string;
  readonly issuerJwk: JWK;
  readonly clusterName: string;
  account(): Account;
  /** Seconds the handed-out credentials last. */
  credentialsSeconds(): number;
}

const OPERATION = 'credentials';
/** The AWS SDKs refresh credentials this long before they expire. */
const SDK_REFRESH_MARGIN_S = 300;

export class PodIdentityAgent extends LoopbackServer {
  private readonly keys;
  /** Credentials handed out, per namespace, service account, pod and role. */
  private readonly cache = new Map<string, { credentials: IssuedCredentials; refreshAt: number }>();

  private constructor(
    private readonly world: PodIdentityWorld,
    private readonly store: CredentialStore,
    private readonly counters: Counters,
  ) {
    super(createServer());
    this.keys = createLocalJWKSet({ keys: [world.issuerJwk] });
    this.server.on('request', guarded((req, res) => this.handle(req, res), (res) => this.fail(res, 500, 'InternalServerException', 'internal error')));
  }

  static async start(world: PodIdentityWorld, store: CredentialStore, counters: Counters): Promise<PodIdentityAgent> {
    return new PodIdentityAgent(world, store, counters).listen();
  }

  /** AWS_CONTAINER_CREDENTIALS_FULL_URI for this agent. */
  get credentialsUrl(): string {
    return `${this.url}/v1/credentials`;
  }

  private credentialsFor(accountId: string, roleName: string, namespace: string, serviceAccount: string, pod: string): IssuedCredentials {
    const key = JSON.stringify([accountId, roleName, namespace, serviceAccount, pod]);
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && now < cached.refreshAt) return cached.credentials;
    const seconds = this.world.credentialsSeconds();
    const sessionName = `eks-${this.world.clusterName}-${pod}-${randomUUID()}`.slice(0, 64);
    const credentials = this.store.issue({ accountId, roleName, sessionName, issuer: 'pod-identity' }, seconds, now);
    // Refreshed well before the SDK's own 5-minute margin, so a client never holds credentials it deems expiring.
    this.cache.set(key, { credentials, refreshAt: now + Math.min(seconds / 2, seconds - 2 * SDK_REFRESH_MARGIN_S) * 1000 });
    return credentials;
  }

  private fail(res: ServerResponse, status: number, code: string, message: string): void {
    this.counters.record('podIdentity', OPERATION, code);
    sendJson(res, status, { Code: code, Message: message });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const path = requestUrl(req).pathname;
    if (path !== '/v1/credentials') return this.fail(res, 404, 'NotFound', `no such path ${path.slice(0, 64)}`);
    if (req.method !== 'GET') return this.fail(res, 405, 'MethodNotAllowed', 'only GET is supported');
    const token = req.headers.authorization;
    if (token === undefined || token.trim() === '') return this.fail(res, 400, 'InvalidParameterException', 'Authorization header is missing: send the service account token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE');
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token.trim(), this.keys, { issuer: this.world.issuerUrl, audience: POD_IDENTITY_AUDIENCE, algorithms: ['RS256'] }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return this.fail(res, 403, 'ExpiredTokenException', 'Service account token has expired');
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') return this.fail(res, 403, 'InvalidTokenException', `Service account token audience must be ${POD_IDENTITY_AUDIENCE}`);
      return this.fail(res, 403, 'InvalidTokenException', 'Service account token failed verification');
    }
    const k8s = (claims['kubernetes.io'] ?? {}) as { namespace?: string; serviceaccount?: { name?: string }; pod?: { name?: string } };
    const account = this.world.account();
    const association = account.podIdentityAssociations.find((a) => a.namespace === k8s.namespace && a.serviceAccount === k8s.serviceaccount?.name);
    if (association === undefined) {
      return this.fail(res, 404, 'ResourceNotFoundException', `No Pod Identity Association found for namespace ${k8s.namespace ?? '?'} and service account ${k8s.serviceaccount?.name ?? '?'}`);
    }
    const c = this.credentialsFor(account.id, association.roleName, k8s.namespace ?? '', k8s.serviceaccount?.name ?? '', k8s.pod?.name ?? 'pod');
    this.counters.record('podIdentity', OPERATION);
    sendJson(res, 200, { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, AccountId: c.accountId, Expiration: awsTimestamp(c.expiration) });
  }
}
