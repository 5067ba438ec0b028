/**
 * The STS emulator, on the real wire protocol: the query API (POST
 * form-encoded `Action=…&Version=2011-06-15`, or GET with a query string),
 * XML answers, AWS-shaped XML errors. AssumeRoleWithWebIdentity is unsigned,
 * like AWS; GetCallerIdentity and AssumeRole (assume-role.ts) must carry a
 * valid SigV4 signature made with credentials from the shared store. Fault knobs (delay, hang, refuse, 5xx,
 * throttling, IdP errors) apply before the action runs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Counters } from './counters.js';
import { assumeRole } from './assume-role.js';
import { callerArn, callerUserId, type CredentialStore, type IssuedCredentials } from './credentials.js';
import type { Faults } from './faults.js';
import { ShareGate } from './faults.js';
import { flatHeaders, guarded, readBody, requestUrl, send, sleep } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';
import { authorize, issueRoleSession, validateRoleRequest, type ParamRule } from './role-session.js';
import type { Account } from './scenarios.js';
import { authenticate, queryOf, type AuthFailure } from './sigv4.js';
import { StsError, stsErrors } from './sts-errors.js';
import type { WebIdentityVerifier } from './web-identity.js';
import { requestId, stsError, stsResponse } from './xml.js';

export const STS_VERSION = '2011-06-15';
/** STS's own limits are far below this; anything larger is refused unread. */
export const MAX_BODY_BYTES = 64 * 1024;
const ACTIONS = ['AssumeRoleWithWebIdentity', 'GetCallerIdentity', 'AssumeRole'] as const;
type Action = (typeof ACTIONS)[number];

/** What STS reads from the world at each request (scenario switches take effect at once). */
export interface StsWorld {
  readonly region: string;
  account(): Account;
  /** Every account of the world (the pod's and those its role chains into), for AssumeRole. */
  accounts(): readonly Account[];
  faults(): Faults;
  /** DurationSeconds when the request has none. */
  defaultDurationSeconds(): number;
}

type Params = Record<string, string>;

export class StsEmulator extends LoopbackServer {
  private readonly throttle = new ShareGate();
  /** Cuts short the delay fault's waits when the world stops. */
  private readonly closing = new AbortController();

  private constructor(
    private readonly world: StsWorld,
    private readonly store: CredentialStore,
    private readonly counters: Counters,
    private readonly verifier: WebIdentityVerifier,
  ) {
    super(createServer());
    this.server.on('request', guarded((req, res) => this.handle(req, res), (res, error) => this.answerError(res, 'other', requestId(), error)));
  }

  static async start(world: StsWorld, store: CredentialStore, counters: Counters, verifier: WebIdentityVerifier): Promise<StsEmulator> {
    return new StsEmulator(world, store, counters, verifier).listen();
  }

  override async close(): Promise<void> {
    this.closing.abort();
    await super.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = requestId();
    const url = requestUrl(req);
    const body = await readBody(req, MAX_BODY_BYTES);
    const params = paramsOf(url, req, body.bytes);
    const operation = (ACTIONS as readonly string[]).includes(params.Action ?? '') ? (params.Action as Action) : 'other';
    const faults = this.world.faults();
    if (faults.stsHang) {
      this.counters.record('sts', operation, 'Hang');
      return; // never answered; the connection is dropped when the world stops
    }
    if (faults.stsDelayMs > 0) await sleep(faults.stsDelayMs, this.closing.signal);
    try {
      if (body.tooLarge) throw stsErrors.tooLarge(MAX_BODY_BYTES);
      if (faults.stsStatus >= 500) throw faults.stsStatus === 503 ? stsErrors.unavailable() : stsErrors.internal(faults.stsStatus);
      if (this.throttle.hit(faults.stsThrottleShare)) throw stsErrors.throttled();
      const xml = await this.dispatch(params, req, url, body.bytes, id);
      this.counters.record('sts', operation);
      send(res, 200, 'text/xml', xml, { 'x-amzn-requestid': id });
    } catch (error) {
      this.answerError(res, operation, id, error);
    }
  }

  private answerError(res: ServerResponse, operation: string, id: string, error: unknown): void {
    const e = error instanceof StsError ? error : stsErrors.internal();
    this.counters.record('sts', operation, e.code);
    send(res, e.status, 'text/xml', stsError(e.type, e.code, e.message, id), { 'x-amzn-requestid': id });
  }

  private async dispatch(params: Params, req: IncomingMessage, url: URL, body: Buffer, id: string): Promise<string> {
    const action = params.Action;
    if (action === undefined || action === '') throw stsErrors.missingAction();
    const version = params.Version;
    if (version === undefined) throw stsErrors.missingParameter('Version');
    if (version !== STS_VERSION || !(ACTIONS as readonly string[]).includes(action)) throw stsErrors.invalidAction(action, version);
    if (action === 'GetCallerIdentity') return this.getCallerIdentity(req, url, body, id);
    if (action === 'AssumeRole') return assumeRole(params, await this.caller(req, url, body), this.world.accounts(), this.store, id);
    return this.assumeRoleWithWebIdentity(params, id);
  }

  private async assumeRoleWithWebIdentity(params: Params, id: string): Promise<string> {
    const input = validateRoleRequest(params, [WEB_IDENTITY_TOKEN]);
    const world = this.world.account();
    // OIDC providers and roles live in the role's account; the sandbox has one account, any other is empty.
    const account: Account = input.accountId === world.id ? world : { id: input.accountId, providers: [], roles: [], podIdentityAssociations: [] };
    const verified = await this.verifier.verify(params.WebIdentityToken!, account, this.world.faults().stsIdpError);
    const hostPath = verified.provider.issuerHostPath;
    const role = authorize(
      account.roles.find((r) => r.name === input.roleName),
      { action: 'sts:AssumeRoleWithWebIdentity', principal: { federated: verified.providerArn }, context: { [`${hostPath}:sub`]: verified.claims.sub, [`${hostPath}:aud`]: verified.audience } },
      stsErrors.notAuthorized,
    );
    const { Credentials, AssumedRoleUser } = issueRoleSession(this.store, role, input, this.world.defaultDurationSeconds());
    return stsResponse('AssumeRoleWithWebIdentity', { Credentials, SubjectFromWebIdentityToken: verified.claims.sub, AssumedRoleUser, Provider: verified.providerArn, Audience: verified.audience }, id);
  }

  private async getCallerIdentity(req: IncomingMessage, url: URL, body: Buffer, id: string): Promise<string> {
    const c = await this.caller(req, url, body);
    return stsResponse('GetCallerIdentity', { Arn: callerArn(c), UserId: callerUserId(c), Account: c.accountId }, id);
  }

  /** The credentials a signed request was made with; throws AWS's error when the signature does not hold. */
  private async caller(req: IncomingMessage, url: URL, body: Buffer): Promise<IssuedCredentials> {
    const result = await authenticate(
      this.store,
      { method: req.method ?? 'GET', rawPath: url.pathname, query: queryOf(url.searchParams), headers: flatHeaders(req), body },
      { service: 'sts', region: this.world.region, uriEscapePath: true, verifyPayload: true },
    );
    if (!result.ok) throw authError(result);
    return result.credentials;
  }
}

function authError(failure: AuthFailure): StsError {
  switch (failure.kind) {
    case 'missing':
      return stsErrors.missingAuth();
    case 'malformed':
      return stsErrors.incompleteSignature(failure.detail);
    case 'unknown-key':
    case 'bad-session-token':
      return stsErrors.invalidClientToken();
    case 'wrong-region':
      return stsErrors.wrongRegion(failure.region);
    case 'clock-skew':
      return stsErrors.signatureExpired(failure.amzDate);
    case 'expired':
      return stsErrors.expiredCredentials();
    case 'bad-signature':
      return stsErrors.signatureMismatch();
  }
}

/** Query-string parameters, then form-encoded body parameters (the body wins). */
function paramsOf(url: URL, req: IncomingMessage, body: Buffer): Params {
  const params: Params = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (body.length > 0 && (type === '' || type.startsWith('application/x-www-form-urlencoded'))) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  }
  return params;
}

/** AssumeRoleWithWebIdentity's own parameter; AWS never quotes the token in a message. */
const WEB_IDENTITY_TOKEN: ParamRule = { name: 'WebIdentityToken', member: 'webIdentityToken', min: 4, max: 20000, required: true, quoted: false };
