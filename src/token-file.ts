/**
 * Reading and decoding the projected service-account token. Decoding uses
 * jose's decodeJwt/decodeProtectedHeader: the claims are read, not trusted
 * (STS verifies the signature). The raw text never leaves the caller.
 */
import { createHash } from 'node:crypto';
// Subpath imports: only the decoders, not jose's whole crypto surface (start-up cost).
import { decodeJwt } from 'jose/jwt/decode';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { JOSEError } from 'jose/errors';
import { readSmallFile, SmallFileError } from './small-file.js';

/** A service-account token is about 1 KiB; anything past this is not a token. */
export const MAX_TOKEN_BYTES = 64 * 1024;

/** The token file is not a small regular file, or is empty. */
export { SmallFileError as TokenFileError };

export class TokenDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecodeError';
  }
}

export interface TokenClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud: readonly string[];
  readonly iat?: number;
  readonly nbf?: number;
  readonly exp?: number;
  readonly alg?: string;
  readonly kid?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly pod?: string;
}

/** Reads at most MAX_TOKEN_BYTES + 1 bytes, without blocking on a FIFO or device (see small-file.ts). */
export async function readTokenFile(path: string): Promise<{ text: string; mtimeMs: number }> {
  const { text, mtimeMs } = await readSmallFile(path, { maxBytes: MAX_TOKEN_BYTES, what: path });
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new SmallFileError(`${path} is empty`, 'empty');
  return { text: trimmed, mtimeMs };
}

export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Decodes the header and claims; throws TokenDecodeError with a message that never quotes the token. */
export function decodeToken(text: string): TokenClaims {
  const parts = text.split('.');
  if (parts.length !== 3) {
    throw new TokenDecodeError(`not a JWT: expected three dot-separated base64url parts, found ${parts.length}`);
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(text);
  } catch (error) {
    throw new TokenDecodeError(`not a JWT: the header ${describeJoseError(error)}`);
  }
  try {
    payload = decodeJwt(text);
  } catch (error) {
    throw new TokenDecodeError(`not a JWT: the payload ${describeJoseError(error)}`);
  }
  const k8s = asRecord(payload['kubernetes.io']);
  return {
    iss: stringClaim(payload.iss, 'iss'),
    sub: stringClaim(payload.sub, 'sub'),
    aud: audienceClaim(payload.aud),
    iat: numericClaim(payload.iat, 'iat'),
    nbf: numericClaim(payload.nbf, 'nbf'),
    exp: numericClaim(payload.exp, 'exp'),
    alg: typeof header.alg === 'string' ? header.alg : undefined,
    kid: typeof header.kid === 'string' ? header.kid : undefined,
    namespace: optionalString(k8s?.['namespace']),
    serviceAccount: optionalString(asRecord(k8s?.['serviceaccount'])?.['name']),
    pod: optionalString(asRecord(k8s?.['pod'])?.['name']),
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof JOSEError) {
    const text = error.message.toLowerCase();
    if (text.includes('base64')) return 'is not valid base64url';
    if (text.includes('json') || text.includes('parse')) return 'is not JSON';
    if (text.includes('object') || text.includes('claims set')) return 'is not a JSON object';
  }
  return 'could not be decoded';
}

function stringClaim(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TokenDecodeError(`claim "${name}" is not a string`);
  return value;
}

/** The largest time a Date can hold, in seconds (±100,000,000 days from 1970). */
const MAX_DATE_SECONDS = 8.64e12;

function numericClaim(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TokenDecodeError(`claim "${name}" is not a number of seconds`);
  if (Math.abs(value) > MAX_DATE_SECONDS) throw new TokenDecodeError(`claim "${name}" is outside the range of a date (±${MAX_DATE_SECONDS} seconds)`);
  return value;
}

function audienceClaim(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new TokenDecodeError('claim "aud" is neither a string nor a list of strings');
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9.]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** `system:serviceaccount:NS:SA` → {namespace, name}; undefined for any other form. */
export function parseSubject(sub: string | undefined): { namespace: string; name: string } | undefined {
  const match = sub === undefined ? null : SUBJECT.exec(sub);
  if (!match || match[1] === undefined || match[3] === undefined) return undefined;
  return { namespace: match[1], name: match[3] };
}

/** The issuer as IAM names it in a provider ARN and condition keys: host and path, no scheme. */
export function issuerHostPath(iss: string): string {
  return iss.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}
