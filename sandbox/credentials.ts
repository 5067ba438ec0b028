/**
 * The one credential store every emulator shares: STS issues into it, the
 * IMDS and Pod Identity emulators issue into it, and STS GetCallerIdentity and
 * the S3 proxy look signatures up in it. Keys look like AWS's (ASIA…).
 */
import { createHash, randomBytes } from 'node:crypto';
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
    const credentials: IssuedCredentials = {
      ...principal,
      accessKeyId: `ASIA${base32(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64')}`,
      // AWS expirations have whole seconds.
      expiration: new Date(Math.floor(now / 1000 + durationSeconds) * 1000),
    };
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

  lookup(accessKeyId: string): IssuedCredentials | undefined {
    return this.byKey.get(accessKeyId);
  }

  get size(): number {
    return this.byKey.size;
  }

  private prune(now: number): void {
    for (const [key, c] of this.byKey) if (c.expiration.getTime() <= now) this.byKey.delete(key);
  }
}
