/**
 * JSON-lines logger: one object per line on stdout, `{"time","level","msg",...fields}`.
 *
 * A safety net, not a licence: callers must not log secrets, but in case one
 * slips through, values under secret-looking keys are replaced with
 * "[redacted]" and JWTs / AWS secret keys / session tokens inside any string
 * (messages included) are masked.
 */
import { redactUserinfo } from './redact.js';
import type { LogLevel } from './types.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export const REDACTED = '[redacted]';

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values are secret-like by name. */
const SECRET_KEY = /token|secret|password|credential|authorization|session/i;

/**
 * Keys that match SECRET_KEY but carry no secret (paths, timestamps, names).
 * Compared case-insensitively.
 */
export const SAFE_KEYS: ReadonlySet<string> = new Set(
  [
    'tokenFile',
    'tokenPath',
    'tokenExpiresAt',
    'tokenExpiry',
    'tokenIssuedAt',
    'tokenAgeSeconds',
    'tokenAudience',
    'tokenSubject',
    'tokenIssuer',
    'tokenChanged',
    'tokenRotated',
    'credentialsExpireAt',
    'credentialsExpiresAt',
    'credentialsExpiry',
    'credentialsSource',
    'credentialSource',
    'sessionName',
    'roleSessionName',
    'sessionDurationSeconds',
  ].map((k) => k.toLowerCase()),
);

/**
 * A JWT (or JWS): three base64url segments, the first holding a JSON header
 * starting `{"` (eyJ). Linear time: a match starts only where a base64url run
 * starts (the look-behind), and each segment is taken whole by a look-ahead
 * and a back-reference, which never backtrack; so `eyJeyJeyJ…` costs one pass,
 * not one pass per `eyJ`. The run's characters before `eyJ` are masked too.
 */
const JWT = /(?<![A-Za-z0-9_-])(?=([A-Za-z0-9_-]*?eyJ[A-Za-z0-9_-]{4,}))\1\.(?=([A-Za-z0-9_-]{4,}))\2\.(?=([A-Za-z0-9_-]*))\3/g;
/**
 * An AWS secret access key: exactly 40 chars of base64 alphabet, standing
 * alone. Mixed case and a digit are required so hex digests (thumbprints,
 * SHA-1) are not masked.
 */
const AWS_SECRET = /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;
/** A session token: a long run of base64 (AWS session tokens are hundreds of chars). */
const LONG_BASE64 = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}/g;
/**
 * A SigV4 Authorization header (or presigned query) echoed back in an error:
 * `Credential=ASIA…/20260101/us-west-2/sts/aws4_request` and `Signature=<hex>`.
 * The access key id is masked with the scope; the signature too.
 */
const SIGV4_CREDENTIAL = /(Credential=)[^\s,&"'<]+/gi;
const SIGV4_SIGNATURE = /(Signature=)[0-9a-f]{16,}/gi;
/** An access key id standing alone (AKIA… long-term, ASIA… temporary). */
const ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g;

/**
 * camelCase keys naming a path, a time, a duration or a count (`tokenChangedAt`,
 * `credentialsExpiresInSeconds`) are safe by shape; their values are still scrubbed.
 */
const SAFE_SUFFIX = /[a-z](File|Path|At|Expiry|Seconds|Ms|Count|Age)$/;

/** The shortest text any of the patterns above can match (a minimal JWT). */
const MIN_SECRET_LENGTH = 13;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !SAFE_KEYS.has(key.toLowerCase()) && !SAFE_SUFFIX.test(key);
}

/**
 * Secret values this process holds whose shape no pattern above knows (an inline
 * Pod Identity authorization token is any string): masked wherever they appear,
 * for example in an agent's error that quotes the Authorization header back.
 * The latest few are kept, so a rotated token stays masked for a while.
 */
const knownSecrets = new Set<string>();
const MAX_KNOWN_SECRETS = 4;
/** Shorter values would mask ordinary words; no real token is this short. */
const MIN_KNOWN_SECRET_LENGTH = 6;

/** Masks `value` in every scrubbed text from now on. */
export function maskSecret(value: string | undefined): void {
  const secret = value?.trim();
  if (secret === undefined || secret.length < MIN_KNOWN_SECRET_LENGTH || knownSecrets.has(secret)) return;
  knownSecrets.add(secret);
  if (knownSecrets.size > MAX_KNOWN_SECRETS) knownSecrets.delete(knownSecrets.values().next().value as string);
}

function maskKnown(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Masks known secrets, JWTs, AWS secret access keys, session tokens, access key ids, SigV4 credentials and signatures and URL userinfo inside free text, in linear time. */
export function scrubText(input: string): string {
  const text = knownSecrets.size === 0 ? input : maskKnown(input);
  if (text.length < MIN_SECRET_LENGTH) return text;
  const masked = text
    .replace(JWT, '[redacted-jwt]')
    .replace(LONG_BASE64, REDACTED)
    .replace(AWS_SECRET, REDACTED)
    .replace(SIGV4_CREDENTIAL, `$1${REDACTED}`)
    .replace(SIGV4_SIGNATURE, `$1${REDACTED}`)
    .replace(ACCESS_KEY_ID, REDACTED);
  return redactUserinfo(masked);
}

const MAX_DEPTH = 6;

function serialiseError(err: Error, withStack: boolean, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: scrubText(err.message) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (withStack && typeof err.stack === 'string') out.stack = scrubText(err.stack);
  if (err.cause !== undefined && depth < MAX_DEPTH) out.cause = sanitise(err.cause, withStack, depth + 1, seen);
  return out;
}

/** Returns a JSON-safe copy of `value` with secrets redacted. Never throws. */
export function sanitise(value: unknown, withStack = false, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (value instanceof Error) return serialiseError(value, withStack, depth, seen);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (Array.isArray(value)) return value.map((v) => sanitise(v, withStack, depth + 1, seen));
    if (value instanceof Map) return sanitiseEntries([...value.entries()].map(([k, v]) => [String(k), v]), withStack, depth, seen);
    if (value instanceof Set) return [...value].map((v) => sanitise(v, withStack, depth + 1, seen));
    return sanitiseEntries(Object.entries(value), withStack, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function sanitiseEntries(entries: [string, unknown][], withStack: boolean, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : sanitise(v, withStack, depth + 1, seen);
  }
  return out;
}

const RESERVED = new Set(['time', 'level', 'msg']);

function defaultWrite(line: string): void {
  process.stdout.write(line);
}

class JsonLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly level: LogLevel,
    private readonly write: (line: string) => void,
    private readonly now: () => Date,
    private readonly bound: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.threshold, this.level, this.write, this.now, { ...this.bound, ...fields });
  }

  private emit(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LEVEL_ORDER[level] < this.threshold) return;
    try {
      this.write(`${this.format(level, msg, fields)}\n`);
    } catch {
      // A logger never takes the probe down: a sink that throws is ignored here; a write error a stream reports
      // later as an 'error' event (EPIPE on a closed pipe) is ignored by guardStdio (src/stdio.ts).
    }
  }

  private format(level: LogLevel, msg: string, fields: LogFields | undefined): string {
    const withStack = this.level === 'debug';
    const merged = sanitise({ ...this.bound, ...fields }, withStack) as Record<string, unknown>;
    const record: Record<string, unknown> = { time: this.now().toISOString(), level, msg: scrubText(String(msg)) };
    for (const [k, v] of Object.entries(merged)) {
      record[RESERVED.has(k) ? `field_${k}` : k] = v;
    }
    return JSON.stringify(record);
  }
}

/**
 * Creates a logger writing one JSON object per line. `write` receives the
 * line including its trailing "\n" (the default is process.stdout.write).
 * Error values are serialised as {name, message[, code]} (plus stack at debug).
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = defaultWrite,
  now: () => Date = () => new Date(),
): Logger {
  return new JsonLogger(LEVEL_ORDER[level], level, write, now, {});
}
