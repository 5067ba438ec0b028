/**
 * The one credential store every emulator shares: STS issues into it, the
 * IMDS and Pod Identity emulators issue into it, and STS GetCallerIdentity and
 * the S3 proxy look signatures up in it. Keys look like AWS's (ASIA…).
 *
 * Sessions are also verifiable without the store, as AWS's are by any of its
 * hosts: the session token carries the principal and the expiry, sealed with
 * an HMAC under a fixed sandbox key, and the secret key is derived from the
 * access key id under the same key. So a sandbox accepts the sessions an
 * earlier sandbox issued (the AWS CLI caches role credentials for an hour in
 * ~/.aws/cli/cache) until they expire. The key is public: sandbox only.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { assumedRoleArn, roleArn, userArn } from './defaults.js';

export interface Principal {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
  /** Who issued it: sts, imds or pod-identity; iam for an IAM user's long-term access key. */
  readonly issuer: 'sts' | 'imds' | 'pod-identity' | 'iam';
  /** Set for an IAM user's access key (AKIA…, no session token); roleName is then empty. */
  readonly userName?: string;
}

export interface IssuedCredentials extends Principal {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Empty for an IAM user's long-term key. */
  readonly sessionToken: string;
  readonly expiration: Date;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Seals every sandbox's sessions alike; public, so it proves nothing outside the sandbox. */
const SANDBOX_SESSION_KEY = 'irsa-probe sandbox session key v1';
/** What AWS session tokens start with (base64 of a protobuf header). */
const TOKEN_PREFIX = 'IQoJb3JpZ2luX2VjE';
const ISSUERS: readonly Principal['issuer'][] = ['sts', 'imds', 'pod-identity'];
/** The latest time a Date holds: long-term keys never expire. */
const NEVER = 8.64e15;
/** Expired entries are dropped once the store holds this many. */
const PRUNE_AT = 10_000;

function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE32[byte % 32];
  return out;
}

/** A stable role ID (AROA…) per role ARN, like IAM's unique IDs. */
export function roleId(accountId: string, roleName: string): string {
  return uniqueId('AROA', roleArn(accountId, roleName));
}

function uniqueId(prefix: string, arn: string): string {
  const digest = createHash('sha256').update(arn).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += BASE32[digest[i]! % 32];
  return out;
}

/** AWS's timestamp form: ISO 8601 in UTC with whole seconds (`2026-11-28T13:00:00Z`). */
export function awsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function callerArn(p: Principal): string {
  return p.userName === undefined ? assumedRoleArn(p.accountId, p.roleName, p.sessionName) : userArn(p.accountId, p.userName);
}

export function callerUserId(p: Principal): string {
  return p.userName === undefined ? `${roleId(p.accountId, p.roleName)}:${p.sessionName}` : uniqueId('AIDA', userArn(p.accountId, p.userName));
}

export class CredentialStore {
  private readonly byKey = new Map<string, IssuedCredentials>();

  issue(principal: Principal, durationSeconds: number, now = Date.now()): IssuedCredentials {
    if (this.byKey.size >= PRUNE_AT) this.prune(now);
    const accessKeyId = `ASIA${base32(16)}`;
    // AWS expirations have whole seconds.
    const expiration = new Date(Math.floor(now / 1000 + durationSeconds) * 1000);
    const credentials: IssuedCredentials = { ...principal, accessKeyId, secretAccessKey: secretOf(accessKeyId), sessionToken: seal(principal, accessKeyId, expiration), expiration };
    this.byKey.set(credentials.accessKeyId, credentials);
    return credentials;
  }

  /** An IAM user's long-term access key: AKIA…, no session token, never expires. */
  addUser(accountId: string, userName: string): IssuedCredentials {
    const credentials: IssuedCredentials = {
      accountId,
      roleName: '',
      sessionName: '',
      userName,
      issuer: 'iam',
      accessKeyId: `AKIA${base32(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: '',
      expiration: new Date(NEVER),
    };
    this.byKey.set(credentials.accessKeyId, credentials);
    return credentials;
  }

  /** Credentials this store issued, else a session another sandbox issued (verified from its sealed token). */
  lookup(accessKeyId: string, sessionToken?: string): IssuedCredentials | undefined {
    return this.byKey.get(accessKeyId) ?? (sessionToken === undefined ? undefined : unseal(accessKeyId, sessionToken));
  }

  get size(): number {
    return this.byKey.size;
  }

  private prune(now: number): void {
    for (const [key, c] of this.byKey) if (c.expiration.getTime() <= now) this.byKey.delete(key);
  }
}

function mac(data: string | Buffer): Buffer {
  return createHmac('sha256', SANDBOX_SESSION_KEY).update(data).digest();
}

function secretOf(accessKeyId: string): string {
  return mac(`secret:${accessKeyId}`).subarray(0, 30).toString('base64');
}

/** One standard-base64 run, like AWS's tokens: the session's fields, then their 32-byte HMAC. */
function seal(p: Principal, accessKeyId: string, expiration: Date): string {
  const body = Buffer.from(JSON.stringify([accessKeyId, p.accountId, p.roleName, p.sessionName, p.issuer, expiration.getTime()]));
  return `${TOKEN_PREFIX}${Buffer.concat([body, mac(body)]).toString('base64')}`;
}

const TAG_BYTES = 32;

/** The session a sealed token describes, when the seal holds and it names this access key id. */
function unseal(accessKeyId: string, sessionToken: string): IssuedCredentials | undefined {
  if (!sessionToken.startsWith(TOKEN_PREFIX) || sessionToken.length > 4096) return undefined;
  const sealed = Buffer.from(sessionToken.slice(TOKEN_PREFIX.length), 'base64');
  if (sealed.length <= TAG_BYTES) return undefined;
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  if (!timingSafeEqual(sealed.subarray(sealed.length - TAG_BYTES), mac(body))) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== accessKeyId) return undefined;
  const [, accountId, roleName, sessionName, issuer, expiresAt] = fields as unknown[];
  if (typeof accountId !== 'string' || typeof roleName !== 'string' || typeof sessionName !== 'string' || typeof expiresAt !== 'number') return undefined;
  if (!ISSUERS.includes(issuer as Principal['issuer'])) return undefined;
  return { accountId, roleName, sessionName, issuer: issuer as Principal['issuer'], accessKeyId, secretAccessKey: secretOf(accessKeyId), sessionToken, expiration: new Date(expiresAt) };
}
