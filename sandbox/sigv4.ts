/**
 * SigV4 verification: parse the Authorization header, look the access key up
 * in the shared credential store, re-sign the received request with the
 * stored secret using @smithy/signature-v4 (the SDK's own signer), and compare.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialStore, IssuedCredentials } from './credentials.js';

export interface AuthorizationParts {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string): AuthorizationParts | undefined {
  const m = AUTH_RE.exec(header.trim());
  if (m === null) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

/** The received request, as the signer needs it. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path as sent on the wire (still percent-encoded). */
  readonly rawPath: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type AuthFailure =
  | { kind: 'missing' }
  | { kind: 'malformed'; detail: string }
  | { kind: 'unknown-key' }
  | { kind: 'bad-session-token' }
  | { kind: 'expired' }
  | { kind: 'wrong-region'; region: string }
  | { kind: 'clock-skew'; amzDate: string }
  | { kind: 'bad-signature' };

export type AuthResult = { ok: true; credentials: IssuedCredentials } | ({ ok: false } & AuthFailure);

/** node:crypto as the signer's hash constructor (HMAC when given a key). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** SigV4 accepts requests whose X-Amz-Date is within 15 minutes of the server's clock. */
const MAX_SKEW_MS = 15 * 60_000;

export interface VerifyOptions {
  readonly service: string;
  /** The region this endpoint serves; a request scoped to another is refused. */
  readonly region: string;
  /** S3 signs with its path as sent (no double encoding). */
  readonly uriEscapePath: boolean;
  /**
   * The body is the whole payload: a signed x-amz-content-sha256 must be its
   * hash. (The S3 proxy streams bodies and does not check them.)
   */
  readonly verifyPayload: boolean;
  readonly now?: number;
}

export async function authenticate(store: CredentialStore, request: ReceivedRequest, options: VerifyOptions): Promise<AuthResult> {
  const header = request.headers['authorization'];
  if (header === undefined) return { ok: false, kind: 'missing' };
  const parts = parseAuthorization(header);
  if (parts === undefined) return { ok: false, kind: 'malformed', detail: 'Authorization header requires Credential, SignedHeaders and Signature' };
  const amzDate = request.headers['x-amz-date'];
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined || !amzDate.startsWith(parts.date)) {
    return { ok: false, kind: 'malformed', detail: 'X-Amz-Date is missing or does not match the credential scope date' };
  }
  const credentials = store.lookup(parts.accessKeyId, request.headers['x-amz-security-token']);
  if (credentials === undefined) return { ok: false, kind: 'unknown-key' };
  // A long-term key (empty session token) must come without one; a session key with exactly its own.
  if ((request.headers['x-amz-security-token'] ?? '') !== credentials.sessionToken) return { ok: false, kind: 'bad-session-token' };
  if (parts.region !== options.region) return { ok: false, kind: 'wrong-region', region: parts.region };
  const now = options.now ?? Date.now();
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) return { ok: false, kind: 'clock-skew', amzDate };
  if (options.verifyPayload && !payloadHashMatches(request)) return { ok: false, kind: 'bad-signature' };
  if (!(await signatureMatches(request, parts, credentials, signingDate, options))) return { ok: false, kind: 'bad-signature' };
  if (credentials.expiration.getTime() <= now) return { ok: false, kind: 'expired' };
  return { ok: true, credentials };
}

/** A declared x-amz-content-sha256 (when it is a hash, not UNSIGNED-PAYLOAD) must be the body's. */
function payloadHashMatches(request: ReceivedRequest): boolean {
  const declared = request.headers['x-amz-content-sha256'];
  if (declared === undefined || !/^[0-9a-f]{64}$/.test(declared)) return true;
  return createHash('sha256').update(request.body).digest('hex') === declared;
}

async function signatureMatches(request: ReceivedRequest, parts: AuthorizationParts, credentials: IssuedCredentials, signingDate: Date, options: VerifyOptions): Promise<boolean> {
  const signed = new Set(parts.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken || undefined },
    region: parts.region,
    service: parts.service,
    sha256: Sha256,
    uriEscapePath: options.uriEscapePath,
    applyChecksum: false,
  });
  const host = headers['host'] ?? '';
  const resigned = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path: request.rawPath, query: { ...request.query }, headers, body: request.body.length > 0 ? request.body : undefined },
    { signingDate, signingRegion: parts.region, signingService: parts.service, signableHeaders: signed },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers['authorization']))?.[1] ?? '';
  return expected.length === parts.signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.signature));
}

/** `20261128T130000Z` → Date. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Decoded query parameters, repeated keys as arrays (what the signer canonicalises). */
export function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of search) {
    const existing = out[key];
    out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}
