/**
 * The EC2 instance metadata service, IMDSv2 only (HttpTokens=required, as EKS
 * best practice has it): PUT /latest/api/token with a TTL header hands out a
 * session token; every GET must carry it, else 401. The instance profile is
 * the node role, so a pod that falls back to the default chain's last step
 * acts as `assumed-role/eks-node-role/i-…`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Counters } from './counters.js';
import { awsTimestamp, type CredentialStore, type IssuedCredentials } from './credentials.js';
import { guarded, requestUrl, send } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';

export interface ImdsOptions {
  readonly accountId: string;
  readonly region: string;
  readonly roleName: string;
  readonly instanceId: string;
}

/** EC2 hands out instance-profile credentials for 6 h and refreshes them well before expiry. */
const CREDENTIALS_SECONDS = 6 * 3600;
const REFRESH_BEFORE_MS = 15 * 60_000;
const MAX_TTL_SECONDS = 21_600;

export class ImdsEmulator extends LoopbackServer {
  private readonly sessions = new Map<string, number>();
  private current: IssuedCredentials | undefined;

  private constructor(
    private readonly options: ImdsOptions,
    private readonly store: CredentialStore,
    private readonly counters: Counters,
  ) {
    super(createServer());
    this.server.on('request', guarded((req, res) => this.handle(req, res), (res) => send(res, 500, 'text/plain', 'Internal Server Error\n')));
  }

  static async start(options: ImdsOptions, store: CredentialStore, counters: Counters): Promise<ImdsEmulator> {
    return new ImdsEmulator(options, store, counters).listen();
  }

  private answer(res: ServerResponse, operation: string, status: number, body: string, type = 'text/plain'): void {
    this.counters.record('imds', operation, status >= 400 ? String(status) : undefined);
    send(res, status, type, body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const path = requestUrl(req).pathname;
    if (path === '/latest/api/token') return this.issueSession(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.answer(res, 'other', 405, 'Method Not Allowed\n');
    const operation = operationOf(path);
    if (!this.validSession(req.headers['x-aws-ec2-metadata-token'])) return this.answer(res, operation, 401, 'Unauthorized\n');
    const prefix = '/latest/meta-data/iam/security-credentials/';
    if (path === prefix) return this.answer(res, operation, 200, this.options.roleName);
    if (path === `${prefix}${this.options.roleName}`) return this.answer(res, operation, 200, JSON.stringify(this.credentialsDocument(), null, 2), 'application/json');
    if (path === '/latest/meta-data/instance-id') return this.answer(res, operation, 200, this.options.instanceId);
    if (path === '/latest/meta-data/placement/region') return this.answer(res, operation, 200, this.options.region);
    return this.answer(res, operation, 404, 'Not Found\n');
  }

  private issueSession(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'PUT') return this.answer(res, 'token', 405, 'Method Not Allowed\n');
    const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) return this.answer(res, 'token', 400, 'Bad Request\n');
    if (req.headers['x-forwarded-for'] !== undefined) return this.answer(res, 'token', 403, 'Forbidden\n');
    const token = randomBytes(42).toString('base64');
    this.sessions.set(token, Date.now() + ttl * 1000);
    this.answer(res, 'token', 200, token);
  }

  private validSession(token: string | string[] | undefined): boolean {
    if (typeof token !== 'string') return false;
    const expires = this.sessions.get(token);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.sessions.delete(token);
    return false;
  }

  private credentialsDocument(): Record<string, string> {
    const now = Date.now();
    if (this.current === undefined || this.current.expiration.getTime() - now < REFRESH_BEFORE_MS) {
      const { accountId, roleName, instanceId } = this.options;
      this.current = this.store.issue({ accountId, roleName, sessionName: instanceId, issuer: 'imds' }, CREDENTIALS_SECONDS, now);
    }
    const c = this.current;
    return {
      Code: 'Success',
      LastUpdated: awsTimestamp(new Date(now)),
      Type: 'AWS-HMAC',
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: awsTimestamp(c.expiration),
    };
  }
}

function operationOf(path: string): string {
  if (path === '/latest/meta-data/iam/security-credentials/') return 'role-name';
  if (path.startsWith('/latest/meta-data/iam/security-credentials/')) return 'credentials';
  return 'metadata';
}
