/**
 * The settings table: one entry per `IRSA_PROBE_*` variable and its flag,
 * holding the typed default (stated once: --help and the README show it
 * through `shownDefault`), the parser with its range, the description and
 * what a valid value looks like. A bad value is a ConfigError naming the
 * variable or flag as written, the (cut) value and that expected form.
 */
import { isIP } from 'node:net';
import { AwsNameError, parseBucketName, parseRoleArn, ROLE_ARN_FORM } from './aws-names.js';
import { DurationError, formatDuration, parseDuration } from './duration.js';
import { showValue } from './redact.js';
import { maskExternalIds, parseRoleTargets, ROLE_TARGETS_FORM, type RoleTarget } from './role-targets.js';
import { LOG_LEVELS, type LogLevel } from './types.js';

export const DEFAULT_PORT = 9876;
export const DEFAULT_S3_PREFIX = 'irsa-probe/';

export type Env = Readonly<Record<string, string | undefined>>;

/** Like the SDK, an empty variable counts as unset. */
export function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The variable or the flag as the user wrote it, e.g. `IRSA_PROBE_PORT` or `--interval`. */
  readonly setting: string;
  /** The value as given (complete; only the message cuts it), with any secret part masked. */
  readonly value: string;
  readonly expected: string;
  constructor(setting: string, value: string, expected: string, missing = false) {
    super(missing ? `${setting} needs a value: expected ${expected}` : `${setting}=${showValue(value)} is invalid: expected ${expected}`);
    this.setting = setting;
    this.value = value;
    this.expected = expected;
  }
}

export interface Setting<T = unknown> {
  readonly env: string;
  readonly flag: string;
  readonly default: T;
  /** The default as --help and the README show it ('' when unset). */
  readonly shownDefault: string;
  readonly description: string;
  /** What a valid value looks like (the `expected` of its ConfigError). */
  readonly expected: string;
  /** An empty value counts as unset. */
  readonly emptyIsUnset: boolean;
  /** Variables read in order when neither the flag nor the variable gives a value (the downward API's). */
  readonly fallbacks: readonly string[];
  /** The value from its text; throws when the text is not valid. */
  readonly parse: (text: string) => T;
  /** The text as an error may show it: a secret part (an ExternalId) masked. */
  readonly masked: (text: string) => string;
}

interface SettingSpec<T> extends Pick<Setting<T>, 'env' | 'flag' | 'default' | 'description' | 'expected' | 'parse'>, Partial<Pick<Setting<T>, 'masked'>> {
  /** Explicit display text, where the default is not a value (e.g. another variable). */
  readonly shownDefault?: string;
  readonly show?: (value: T) => string;
  readonly emptyIsUnset?: boolean;
  readonly fallbacks?: readonly string[];
}

function setting<T>({ show = String, emptyIsUnset = false, fallbacks = [], shownDefault, masked = (text) => text, ...spec }: SettingSpec<T>): Setting<T> {
  const value = spec.default === undefined ? '' : show(spec.default);
  const shown = shownDefault ?? [...fallbacks, value].filter(nonEmpty).join(', else ');
  return { ...spec, shownDefault: shown, emptyIsUnset, fallbacks, masked };
}

/** A value a parser refuses without a more specific hint. */
class Rejected extends Error {}

interface Range {
  readonly min: number;
  readonly max: number;
}

function integer(r: Range, note = '') {
  return {
    expected: `an integer from ${r.min} to ${r.max}${note}`,
    parse: (text: string): number => {
      const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
      if (!(n >= r.min && n <= r.max)) throw new Rejected();
      return n;
    },
  };
}

function duration(r: Range) {
  return {
    expected: `a duration from ${formatDuration(r.min)} to ${formatDuration(r.max)}, e.g. 30s or 1m30s`,
    show: formatDuration,
    parse: (text: string): number => {
      const ms = parseDuration(text);
      if (ms < r.min || ms > r.max) throw new Rejected();
      return ms;
    },
  };
}

/** Case-insensitive choice; returns the word in lowercase. */
function oneOf<W extends string>(words: readonly W[]) {
  return (text: string): W => {
    const v = text.toLowerCase();
    if (!(words as readonly string[]).includes(v)) throw new Rejected();
    return v as W;
  };
}

function boolean(text: string): boolean {
  const v = text.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new Rejected();
}

/** A string accepted as written when it passes the test. */
function matching(test: (text: string) => boolean) {
  return (text: string): string => {
    if (!test(text)) throw new Rejected();
    return text;
  };
}

/** All digits and dots: meant as an IPv4 address, so one that isIP refuses (256.1.1.1) is refused, not looked up as a name. */
const NUMERIC_HOST = /^[\d.]+$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Control, format, unassigned, private-use and surrogate code points. */
const UNPRINTABLE = /\p{C}/u;
const AUDIENCE = /^[\x21-\x7e]+$/;
const POD_NAME = /^[\x21-\x2e\x30-\x7e]+$/;
const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_PREFIX = 512;
const MAX_AUDIENCE = 256;
const MAX_POD_NAME = 253;

const isPrefix = (v: string) => v.length <= MAX_PREFIX && !v.startsWith('/') && !UNPRINTABLE.test(v) && !v.split('/').some((s) => s === '.' || s === '..');
// "." and ".." would make the S3 key a dot segment, which a URL normaliser resolves to another key.
const isPodName = (v: string) => v.length <= MAX_POD_NAME && POD_NAME.test(v) && v !== '.' && v !== '..';

export const SETTING = {
  port: setting({ env: 'IRSA_PROBE_PORT', flag: '--port', default: DEFAULT_PORT, description: 'HTTP port for /readyz, /livez, /metrics and /status (0 picks a free port)', ...integer({ min: 0, max: 65_535 }, ' (0 picks a free port)') }),
  host: setting({ env: 'IRSA_PROBE_HOST', flag: '--host', default: '0.0.0.0', description: 'address to listen on', expected: 'an IP address or host name to listen on, e.g. 0.0.0.0, :: or 127.0.0.1', parse: matching((v) => isIP(v) !== 0 || (HOST_NAME.test(v) && !NUMERIC_HOST.test(v))) }),
  interval: setting({ env: 'IRSA_PROBE_INTERVAL', flag: '--interval', default: 60_000, description: 'time between probe cycles (below 10s the probe warns: each cycle may call STS)', ...duration({ min: 100, max: 86_400_000 }) }),
  timeout: setting({ env: 'IRSA_PROBE_TIMEOUT', flag: '--timeout', default: 5_000, description: 'timeout of each check', ...duration({ min: 10, max: 600_000 }) }),
  failureThreshold: setting({ env: 'IRSA_PROBE_FAILURE_THRESHOLD', flag: '--failure-threshold', default: 3, description: 'consecutive failed cycles before /readyz turns 503', ...integer({ min: 1, max: 100 }) }),
  successThreshold: setting({ env: 'IRSA_PROBE_SUCCESS_THRESHOLD', flag: '--success-threshold', default: 1, description: 'consecutive successful cycles before /readyz turns 200', ...integer({ min: 1, max: 100 }) }),
  identityInterval: setting({ env: 'IRSA_PROBE_IDENTITY_INTERVAL', flag: '--identity-interval', default: 900_000, description: 'how often to call GetCallerIdentity when the assumed identity is unchanged (every cycle re-assumes regardless)', ...duration({ min: 60_000, max: 86_400_000 }) }),
  s3Bucket: setting<string | undefined>({ env: 'IRSA_PROBE_S3_BUCKET', flag: '--s3-bucket', default: undefined, emptyIsUnset: true, description: 'bucket for the S3 put/get/delete check (the check is off when unset or empty)', expected: 'an S3 bucket name of 3-63 lowercase letters, digits, dots and hyphens that starts and ends with a letter or digit', parse: parseBucketName }),
  // Empty means the default: an empty prefix would put the probe's object at the bucket root.
  s3Prefix: setting({ env: 'IRSA_PROBE_S3_PREFIX', flag: '--s3-prefix', default: DEFAULT_S3_PREFIX, emptyIsUnset: true, description: 'key prefix of the S3 check; the object key is <prefix><pod name> (empty means the default)', expected: `a key prefix of at most ${MAX_PREFIX} printable characters that does not start with "/" and has no "." or ".." segment, e.g. ${DEFAULT_S3_PREFIX}`, parse: matching(isPrefix) }),
  expectedRoleArn: setting<string | undefined>({ env: 'IRSA_PROBE_EXPECTED_ROLE_ARN', flag: '--expected-role-arn', default: undefined, shownDefault: 'AWS_ROLE_ARN', emptyIsUnset: true, description: 'role the pod must end up as', expected: `a role ARN like ${ROLE_ARN_FORM}`, parse: (v) => parseRoleArn(v).arn }),
  audience: setting<string | undefined>({ env: 'IRSA_PROBE_AUDIENCE', flag: '--audience', default: undefined, shownDefault: 'sts.amazonaws.com (IRSA), pods.eks.amazonaws.com (Pod Identity)', emptyIsUnset: true, description: 'audience the token must carry', expected: `an audience of 1-${MAX_AUDIENCE} printable characters without spaces, e.g. sts.amazonaws.com`, parse: matching((v) => v.length <= MAX_AUDIENCE && AUDIENCE.test(v)) }),
  assumeRoles: setting<readonly RoleTarget[]>({ env: 'IRSA_PROBE_ASSUME_ROLES', flag: '--assume-roles', default: [], emptyIsUnset: true, description: "roles the pod's role chains into with sts:AssumeRole, comma-separated, each ARN or ARN#EXTERNAL_ID (the roles check is off when unset or empty)", expected: ROLE_TARGETS_FORM, parse: parseRoleTargets, masked: maskExternalIds }),
  logLevel: setting<LogLevel>({ env: 'IRSA_PROBE_LOG_LEVEL', flag: '--log-level', default: 'info', description: 'lowest level of the JSON log lines on stdout', expected: `one of ${LOG_LEVELS.join(', ')}`, parse: oneOf(LOG_LEVELS) }),
  status: setting({ env: 'IRSA_PROBE_STATUS', flag: '--status', default: true, description: 'serve the /status JSON page', expected: 'true or false (also 1/0, yes/no)', parse: boolean }),
  podName: setting({ env: 'IRSA_PROBE_POD_NAME', flag: '--pod-name', default: 'irsa-probe', fallbacks: ['POD_NAME', 'HOSTNAME'], emptyIsUnset: true, description: 'pod name, used in the S3 object key', expected: `a pod name of 1-${MAX_POD_NAME} printable characters without "/" or spaces, other than "." and ".."`, parse: matching(isPodName) }),
  namespace: setting<string | undefined>({ env: 'IRSA_PROBE_NAMESPACE', flag: '--namespace', default: undefined, fallbacks: ['POD_NAMESPACE'], emptyIsUnset: true, description: 'pod namespace, shown in /status and irsa_probe_info', expected: 'a Kubernetes namespace: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit', parse: matching((v) => NAMESPACE.test(v)) }),
} as const;

/** Every setting, in the order --help and the README list them. */
export const SETTINGS: readonly Setting[] = Object.values(SETTING);

/** One raw value and the name it came under (the flag as written, or the variable). */
export interface Source {
  readonly name: string;
  readonly value: string;
}

/** Values given as flags, by setting. */
export type Flags = ReadonlyMap<Setting, Source>;

/** The flag if given, else the variable, else the fallback variables; skipping empty values where the setting counts them as unset. */
export function sourceOf(s: Setting, flags: Flags, env: Env): Source | undefined {
  const named = (name: string): Source | undefined => {
    const value = env[name];
    return value === undefined ? undefined : { name, value };
  };
  const candidates = [flags.get(s) ?? named(s.env), ...s.fallbacks.map(named)];
  return candidates.find((c) => c !== undefined && !(s.emptyIsUnset && c.value === ''));
}

/** The setting's value: its default when unset, else the parsed value; a ConfigError when the value is not valid. */
export function readSetting<T>(s: Setting<T>, flags: Flags, env: Env): T {
  const src = sourceOf(s, flags, env);
  if (src === undefined) return s.default;
  try {
    return s.parse(src.value);
  } catch (error) {
    const hint = hintOf(error);
    throw new ConfigError(src.name, s.masked(src.value), hint === undefined ? s.expected : `${s.expected} (${hint})`);
  }
}

/** The hint a parser's error carries; rethrows anything that is not a refused value. */
function hintOf(error: unknown): string | undefined {
  if (error instanceof Rejected) return undefined;
  if (error instanceof DurationError) return error.hint;
  if (error instanceof AwsNameError) return error.message;
  throw error;
}
