/**
 * Environment and flags → one validated, readonly Config.
 *
 * Every setting is an `IRSA_PROBE_*` variable and a flag; the flag wins.
 * A bad value is a ConfigError naming the variable or flag as written, the
 * (truncated) value and what is expected. Nothing here reads `process.env`:
 * loadConfig takes the environment as an argument.
 */
import { isIP } from 'node:net';
import { AwsNameError, parseBucketName, parseRoleArn, ROLE_ARN_FORM } from './aws-names.js';
import { DurationError, formatDuration, parseDuration } from './duration.js';
import { parseRoleTargets, ROLE_TARGETS_FORM, type RoleTarget } from './role-targets.js';
import { JITTER, MAX_THROTTLE_FACTOR } from './scheduler.js';
import type { LogLevel } from './types.js';
import { LOG_LEVELS } from './types.js';

export const DEFAULT_PORT = 9876;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_S3_PREFIX = 'irsa-probe/';
export const DEFAULT_POD_NAME = 'irsa-probe';
/** Below this interval the probe warns: every pod calls STS every interval. */
export const SHORT_INTERVAL_MS = 10_000;
/**
 * The cycle budget (six checks at their timeout, plus a second) and the
 * staleness bound: the longest legitimate gap between two finished cycles, i.e.
 * the largest throttling backoff with jitter plus one whole cycle, and never
 * less than 3 intervals. Readiness goes stale only when the scheduler stalls;
 * failing or backed-off cycles turn it through the failure threshold.
 */
export function cycleTimings(intervalMs: number, timeoutMs: number): { cycleBudgetMs: number; staleAfterMs: number } {
  const cycleBudgetMs = timeoutMs * 6 + 1000;
  return { cycleBudgetMs, staleAfterMs: Math.max(3 * intervalMs, Math.ceil(MAX_THROTTLE_FACTOR * intervalMs * (1 + JITTER)) + cycleBudgetMs) };
}

/** Values longer than this are cut in error messages. */
export const MAX_ECHO = 80;

/** Raw identity environment exactly as the SDK will see it (unvalidated strings: the env check judges them, not config). */
export interface AwsEnv {
  readonly roleArn?: string;
  readonly webIdentityTokenFile?: string;
  readonly roleSessionName?: string;
  readonly region?: string;
  /** Which variable `region` came from. The JavaScript SDK v3 reads only AWS_REGION; other SDKs also read AWS_DEFAULT_REGION. */
  readonly regionVariable?: 'AWS_REGION' | 'AWS_DEFAULT_REGION';
  readonly stsRegionalEndpoints?: string;
  readonly endpointUrlSts?: string;
  readonly endpointUrlS3?: string;
  readonly endpointUrl?: string;
  readonly containerCredentialsFullUri?: string;
  readonly containerAuthorizationTokenFile?: string;
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN set inline (its value is never read). */
  readonly hasContainerAuthorizationToken: boolean;
  /** AWS_ACCESS_KEY_ID set: the default chain would use environment keys first. */
  readonly hasStaticKeys: boolean;
  /** AWS_PROFILE set. */
  readonly hasProfile: boolean;
  /** AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE: where the SDK looks for a shared profile. */
  readonly profile?: string;
  readonly sharedCredentialsFile?: string;
  readonly configFile?: string;
}

export interface S3Target {
  readonly bucket: string;
  readonly prefix: string;
  /** `<prefix><pod name>`: one fixed object per pod, so the bucket never accumulates objects. */
  readonly key: string;
}

export type Command = 'serve' | 'check' | 'help' | 'version';
export const COMMANDS: readonly Command[] = ['serve', 'check', 'help', 'version'];

export interface Config {
  readonly command: Command;
  readonly json: boolean;
  readonly port: number;
  readonly host: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** GetCallerIdentity runs at least this often even when the identity is unchanged. */
  readonly identityIntervalMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  /** The longest one cycle may take: six checks at their timeout, plus a second. */
  readonly cycleBudgetMs: number;
  /** Readiness turns stale when no cycle has finished for this long: see cycleTimings(). */
  readonly staleAfterMs: number;
  readonly s3?: S3Target;
  /** IRSA_PROBE_EXPECTED_ROLE_ARN (validated) else AWS_ROLE_ARN (raw, judged by the env check) else undefined. */
  readonly expectedRoleArn?: string;
  /** Explicit IRSA_PROBE_AUDIENCE only; undefined → the mechanism's default. */
  readonly audience?: string;
  /** IRSA_PROBE_ASSUME_ROLES: roles the pod's role chains into (empty: the roles check is off). */
  readonly assumeRoles: readonly RoleTarget[];
  readonly logLevel: LogLevel;
  readonly statusEnabled: boolean;
  readonly podName: string;
  readonly namespace?: string;
  readonly aws: AwsEnv;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The variable or the flag as the user wrote it, e.g. `IRSA_PROBE_PORT` or `--interval`. */
  readonly setting: string;
  /** The value as given (complete; only the message truncates it). */
  readonly value: string;
  readonly expected: string;
  constructor(setting: string, value: string, expected: string, missing = false) {
    super(missing ? `${setting} needs a value: expected ${expected}` : `${setting}=${show(value)} is invalid: expected ${expected}`);
    this.setting = setting;
    this.value = value;
    this.expected = expected;
  }
}

/** Unknown command or flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Cuts a value for a message so a 1 MB variable never lands in a log line. */
export function truncate(value: string, max = MAX_ECHO): string {
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

/** A value as a quoted, truncated, one-line JSON string (U+2028/U+2029 escaped too). */
export function show(value: string): string {
  return JSON.stringify(truncate(value)).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------
// The settings table

type Key =
  | 'port' | 'host' | 'interval' | 'timeout' | 'identityInterval' | 'failureThreshold' | 'successThreshold'
  | 's3Bucket' | 's3Prefix' | 'expectedRoleArn' | 'audience' | 'logLevel' | 'status' | 'podName' | 'namespace'
  | 'assumeRoles';

interface Spec {
  readonly key: Key;
  readonly env: string;
  readonly flag: string;
  readonly default: string;
  readonly description: string;
  /** What a valid value looks like (the `expected` of its ConfigError). */
  readonly expected: string;
}

const INTERVAL_RANGE = { min: 100, max: 86_400_000 } as const;
const TIMEOUT_RANGE = { min: 10, max: 600_000 } as const;
const IDENTITY_RANGE = { min: 60_000, max: 86_400_000 } as const;
const THRESHOLD_RANGE = { min: 1, max: 100 } as const;
const PORT_RANGE = { min: 0, max: 65_535 } as const;
const MAX_PREFIX = 512;
const MAX_AUDIENCE = 256;
const MAX_POD_NAME = 253;

const durationExpected = (r: { min: number; max: number }) => `a duration from ${formatDuration(r.min)} to ${formatDuration(r.max)}, e.g. 30s or 1m30s`;
const integerExpected = (r: { min: number; max: number }) => `an integer from ${r.min} to ${r.max}`;

const SPECS: readonly Spec[] = [
  { key: 'port', env: 'IRSA_PROBE_PORT', flag: '--port', default: String(DEFAULT_PORT), description: 'HTTP port for /readyz, /livez, /metrics and /status (0 picks a free port)', expected: `${integerExpected(PORT_RANGE)} (0 picks a free port)` },
  { key: 'host', env: 'IRSA_PROBE_HOST', flag: '--host', default: DEFAULT_HOST, description: 'address to listen on', expected: 'an IP address or host name to listen on, e.g. 0.0.0.0, :: or 127.0.0.1' },
  { key: 'interval', env: 'IRSA_PROBE_INTERVAL', flag: '--interval', default: '60s', description: 'time between probe cycles (below 10s the probe warns: each cycle may call STS)', expected: durationExpected(INTERVAL_RANGE) },
  { key: 'timeout', env: 'IRSA_PROBE_TIMEOUT', flag: '--timeout', default: '5s', description: 'timeout of each check', expected: durationExpected(TIMEOUT_RANGE) },
  { key: 'failureThreshold', env: 'IRSA_PROBE_FAILURE_THRESHOLD', flag: '--failure-threshold', default: '3', description: 'consecutive failed cycles before /readyz turns 503', expected: integerExpected(THRESHOLD_RANGE) },
  { key: 'successThreshold', env: 'IRSA_PROBE_SUCCESS_THRESHOLD', flag: '--success-threshold', default: '1', description: 'consecutive successful cycles before /readyz turns 200', expected: integerExpected(THRESHOLD_RANGE) },
  { key: 'identityInterval', env: 'IRSA_PROBE_IDENTITY_INTERVAL', flag: '--identity-interval', default: '15m', description: 'how often to call GetCallerIdentity when the assumed identity is unchanged (every cycle re-assumes regardless)', expected: durationExpected(IDENTITY_RANGE) },
  { key: 's3Bucket', env: 'IRSA_PROBE_S3_BUCKET', flag: '--s3-bucket', default: '', description: 'bucket for the S3 put/get/delete check (the check is off when unset or empty)', expected: 'an S3 bucket name of 3-63 lowercase letters, digits, dots and hyphens that starts and ends with a letter or digit' },
  { key: 's3Prefix', env: 'IRSA_PROBE_S3_PREFIX', flag: '--s3-prefix', default: DEFAULT_S3_PREFIX, description: 'key prefix of the S3 check; the object key is <prefix><pod name> (empty means the default)', expected: `a key prefix of at most ${MAX_PREFIX} printable characters that does not start with "/" and has no "." or ".." segment, e.g. ${DEFAULT_S3_PREFIX}` },
  { key: 'expectedRoleArn', env: 'IRSA_PROBE_EXPECTED_ROLE_ARN', flag: '--expected-role-arn', default: 'AWS_ROLE_ARN', description: 'role the pod must end up as', expected: `a role ARN like ${ROLE_ARN_FORM}` },
  { key: 'audience', env: 'IRSA_PROBE_AUDIENCE', flag: '--audience', default: 'sts.amazonaws.com (IRSA), pods.eks.amazonaws.com (Pod Identity)', description: 'audience the token must carry', expected: `an audience of 1-${MAX_AUDIENCE} printable characters without spaces, e.g. sts.amazonaws.com` },
  { key: 'assumeRoles', env: 'IRSA_PROBE_ASSUME_ROLES', flag: '--assume-roles', default: '', description: "roles the pod's role chains into with sts:AssumeRole, comma-separated, each ARN or ARN#EXTERNAL_ID (the roles check is off when unset or empty)", expected: ROLE_TARGETS_FORM },
  { key: 'logLevel', env: 'IRSA_PROBE_LOG_LEVEL', flag: '--log-level', default: 'info', description: 'lowest level of the JSON log lines on stdout', expected: `one of ${LOG_LEVELS.join(', ')}` },
  { key: 'status', env: 'IRSA_PROBE_STATUS', flag: '--status', default: 'true', description: 'serve the /status JSON page', expected: 'true or false (also 1/0, yes/no)' },
  { key: 'podName', env: 'IRSA_PROBE_POD_NAME', flag: '--pod-name', default: 'POD_NAME, else HOSTNAME, else irsa-probe', description: 'pod name, used in the S3 object key', expected: `a pod name of 1-${MAX_POD_NAME} printable characters without "/" or spaces, other than "." and ".."` },
  { key: 'namespace', env: 'IRSA_PROBE_NAMESPACE', flag: '--namespace', default: 'POD_NAMESPACE', description: 'pod namespace, shown in /status and irsa_probe_info', expected: 'a Kubernetes namespace: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit' },
];

/** The settings table used by --help and by the README. */
export const SETTINGS: readonly { env: string; flag: string; default: string; description: string }[] = SPECS.map(({ env, flag, default: d, description }) => ({ env, flag, default: d, description }));

const SPEC_BY_FLAG = new Map(SPECS.map((s) => [s.flag, s]));
const SPEC_BY_KEY = new Map(SPECS.map((s) => [s.key, s]));
const SWITCHES = ['--json', '--help', '-h', '--version'] as const;
const KNOWN_ENV = SPECS.map((s) => s.env);

function spec(key: Key): Spec {
  return SPEC_BY_KEY.get(key)!;
}

// ---------------------------------------------------------------------------
// argv

/** One raw value and the name it came under (flag as written, or variable). */
interface Source {
  readonly name: string;
  readonly value: string;
}

interface ParsedArgs {
  readonly command: Command;
  readonly json: boolean;
  readonly flags: ReadonlyMap<Key, Source>;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<Key, Source>();
  let positional: string | undefined;
  let json = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h' || token === '--help') help = true;
    else if (token === '--version') version = true;
    else if (token === '--json') json = true;
    else if (token.startsWith('-') && token !== '-') i = readFlag(argv, i, flags);
    else positional = acceptCommand(token, positional);
  }
  if (help) return { command: 'help', json, flags };
  if (version) return { command: 'version', json, flags };
  const command = (positional ?? 'serve') as Command;
  if (json && command !== 'check') throw new UsageError(`--json is only valid with the check command (irsa-probe check --json), not with ${command}`);
  return { command, json, flags };
}

/** Reads `--flag value` or `--flag=value` at argv[i]; returns the index of the last token consumed. */
function readFlag(argv: readonly string[], i: number, flags: Map<Key, Source>): number {
  const token = argv[i]!;
  const eq = token.indexOf('=');
  const name = eq === -1 ? token : token.slice(0, eq);
  const s = SPEC_BY_FLAG.get(name);
  if (s === undefined) throw unknownFlag(name);
  if (eq !== -1) {
    flags.set(s.key, { name, value: token.slice(eq + 1) });
    return i;
  }
  const next = argv[i + 1];
  if (next === undefined || next.startsWith('--')) throw new ConfigError(name, '', s.expected, true);
  flags.set(s.key, { name, value: next });
  return i + 1;
}

/**
 * Settings that were removed because they let a user silently turn detection
 * off. Naming one is a configuration error (exit 2) that says what to do
 * instead, never a silent no-op.
 */
const RETIRED: readonly { env: string; flag: string; why: string }[] = [
  {
    env: 'IRSA_PROBE_ASSUME_INTERVAL',
    flag: '--assume-interval',
    why: 'was retired: every cycle re-assumes the role, so a broken trust chain is seen within the failure threshold; to make fewer STS calls raise IRSA_PROBE_INTERVAL (detection time = IRSA_PROBE_FAILURE_THRESHOLD x IRSA_PROBE_INTERVAL)',
  },
];

/** A retired setting given as a flag or a variable. */
class RetiredSettingError extends ConfigError {
  constructor(setting: string, value: string, why: string) {
    super(setting, value, why);
    this.message = `${setting} ${why}`;
  }
}

function rejectRetiredFlags(argv: readonly string[]): void {
  for (const r of RETIRED) {
    const i = argv.findIndex((token) => token === r.flag || token.startsWith(`${r.flag}=`));
    if (i !== -1) throw new RetiredSettingError(r.flag, argv[i] === r.flag ? (argv[i + 1] ?? '') : argv[i]!.slice(r.flag.length + 1), r.why);
  }
}

function rejectRetiredVariables(env: Env): void {
  for (const r of RETIRED) {
    const value = env[r.env];
    if (value !== undefined) throw new RetiredSettingError(r.env, value, r.why);
  }
}

function unknownFlag(name: string): UsageError {
  if ((SWITCHES as readonly string[]).includes(name)) return new UsageError(`${name} takes no value`);
  const valid = [...SPECS.map((s) => s.flag), ...SWITCHES];
  const near = suggest(name, valid);
  return new UsageError(`unknown flag ${show(name)}${near ? ` (did you mean ${near}?)` : ''}; valid flags: ${valid.join(', ')}`);
}

function acceptCommand(token: string, current: string | undefined): string {
  if (current !== undefined) throw new UsageError(`unexpected argument ${show(token)}: only one command (${COMMANDS.join(', ')}) is allowed`);
  if (!(COMMANDS as readonly string[]).includes(token)) {
    const near = suggest(token, COMMANDS);
    throw new UsageError(`unknown command ${show(token)}${near ? ` (did you mean ${near}?)` : ''}; valid commands: ${COMMANDS.join(', ')}`);
  }
  return token;
}

// ---------------------------------------------------------------------------
// typed readers: each names the variable or flag in its error

type Env = Readonly<Record<string, string | undefined>>;

/** The flag if given, else the variable if set, else undefined. */
function source(key: Key, flags: ReadonlyMap<Key, Source>, env: Env): Source | undefined {
  const flag = flags.get(key);
  if (flag !== undefined) return flag;
  const s = spec(key);
  const value = env[s.env];
  return value === undefined ? undefined : { name: s.env, value };
}

function invalid(key: Key, src: Source, hint?: string): ConfigError {
  const expected = spec(key).expected;
  return new ConfigError(src.name, src.value, hint ? `${expected} (${hint})` : expected);
}

const INTEGER = /^\d{1,16}$/;

function readInteger(key: Key, src: Source | undefined, fallback: number, range: { min: number; max: number }): number {
  if (src === undefined) return fallback;
  const n = INTEGER.test(src.value) ? Number(src.value) : Number.NaN;
  if (!(n >= range.min && n <= range.max)) throw invalid(key, src);
  return n;
}

function readDuration(key: Key, src: Source | undefined, fallbackMs: number, range: { min: number; max: number }): number {
  if (src === undefined) return fallbackMs;
  let ms: number;
  try {
    ms = parseDuration(src.value);
  } catch (error) {
    if (error instanceof DurationError) throw invalid(key, src, error.hint);
    throw error;
  }
  if (ms < range.min || ms > range.max) throw invalid(key, src);
  return ms;
}

const TRUE = ['true', '1', 'yes'];
const FALSE = ['false', '0', 'no'];

function readBoolean(key: Key, src: Source | undefined, fallback: boolean): boolean {
  if (src === undefined) return fallback;
  const v = src.value.toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw invalid(key, src);
}

function readLogLevel(src: Source | undefined): LogLevel {
  if (src === undefined) return 'info';
  const v = src.value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw invalid('logLevel', src);
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function readHost(src: Source | undefined): string {
  if (src === undefined) return DEFAULT_HOST;
  if (isIP(src.value) !== 0 || HOST_NAME.test(src.value)) return src.value;
  throw invalid('host', src);
}

/** Control, format, unassigned, private-use and surrogate code points. */
const UNPRINTABLE = /\p{C}/u;

/** Empty means unset, as for the other optional settings: an empty prefix would put the probe's object at the bucket root. */
function readPrefix(src: Source | undefined): string {
  if (src === undefined || src.value === '') return DEFAULT_S3_PREFIX;
  const v = src.value;
  const segments = v.split('/');
  const ok = v.length <= MAX_PREFIX && !v.startsWith('/') && !UNPRINTABLE.test(v) && !segments.some((s) => s === '.' || s === '..');
  if (!ok) throw invalid('s3Prefix', src);
  return v;
}

/** Optional settings: unset or empty means "not set". */
function optional(src: Source | undefined): Source | undefined {
  return src === undefined || src.value === '' ? undefined : src;
}

function readBucket(src: Source | undefined): string | undefined {
  const s = optional(src);
  if (s === undefined) return undefined;
  try {
    return parseBucketName(s.value);
  } catch (error) {
    if (error instanceof AwsNameError) throw invalid('s3Bucket', s, error.message);
    throw error;
  }
}

function readRoleArn(src: Source | undefined): string | undefined {
  const s = optional(src);
  if (s === undefined) return undefined;
  try {
    return parseRoleArn(s.value).arn;
  } catch (error) {
    if (error instanceof AwsNameError) throw invalid('expectedRoleArn', s, error.message);
    throw error;
  }
}

function readRoleTargets(src: Source | undefined): readonly RoleTarget[] {
  const s = optional(src);
  if (s === undefined) return [];
  try {
    return parseRoleTargets(s.value);
  } catch (error) {
    if (error instanceof AwsNameError) throw invalid('assumeRoles', s, error.message);
    throw error;
  }
}

const AUDIENCE = /^[\x21-\x7e]+$/;

function readAudience(src: Source | undefined): string | undefined {
  const s = optional(src);
  if (s === undefined) return undefined;
  if (s.value.length <= MAX_AUDIENCE && AUDIENCE.test(s.value)) return s.value;
  throw invalid('audience', s);
}

const POD_NAME = /^[\x21-\x2e\x30-\x7e]+$/;

/** --pod-name, IRSA_PROBE_POD_NAME, POD_NAME, HOSTNAME, then 'irsa-probe'; empty values are skipped. */
function readPodName(flags: ReadonlyMap<Key, Source>, env: Env): string {
  const candidates = [optional(source('podName', flags, env)), named('POD_NAME', env), named('HOSTNAME', env)];
  const src = candidates.find((c) => c !== undefined);
  if (src === undefined) return DEFAULT_POD_NAME;
  // "." and ".." would make the S3 key a dot segment, which a URL normaliser resolves to another key.
  if (src.value.length <= MAX_POD_NAME && POD_NAME.test(src.value) && src.value !== '.' && src.value !== '..') return src.value;
  throw invalid('podName', src);
}

const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** --namespace, IRSA_PROBE_NAMESPACE, then POD_NAMESPACE; empty values are skipped. */
function readNamespace(flags: ReadonlyMap<Key, Source>, env: Env): string | undefined {
  const src = optional(source('namespace', flags, env)) ?? named('POD_NAMESPACE', env);
  if (src === undefined) return undefined;
  if (NAMESPACE.test(src.value)) return src.value;
  throw invalid('namespace', src);
}

function named(name: string, env: Env): Source | undefined {
  return optional(env[name] === undefined ? undefined : { name, value: env[name]! });
}

// ---------------------------------------------------------------------------
// AWS environment

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/** The identity variables as the SDK reads them; values are not judged here. */
export function readAwsEnv(env: Env): AwsEnv {
  const regionVariable = nonEmpty(env.AWS_REGION) ? 'AWS_REGION' : nonEmpty(env.AWS_DEFAULT_REGION) ? 'AWS_DEFAULT_REGION' : undefined;
  return {
    roleArn: env.AWS_ROLE_ARN,
    webIdentityTokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE,
    roleSessionName: env.AWS_ROLE_SESSION_NAME,
    region: regionVariable === undefined ? undefined : env[regionVariable],
    regionVariable,
    stsRegionalEndpoints: env.AWS_STS_REGIONAL_ENDPOINTS,
    endpointUrlSts: env.AWS_ENDPOINT_URL_STS,
    endpointUrlS3: env.AWS_ENDPOINT_URL_S3,
    endpointUrl: env.AWS_ENDPOINT_URL,
    containerCredentialsFullUri: env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    containerAuthorizationTokenFile: env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
    hasContainerAuthorizationToken: nonEmpty(env.AWS_CONTAINER_AUTHORIZATION_TOKEN),
    hasStaticKeys: nonEmpty(env.AWS_ACCESS_KEY_ID),
    hasProfile: nonEmpty(env.AWS_PROFILE),
    profile: nonEmpty(env.AWS_PROFILE) ? env.AWS_PROFILE : undefined,
    sharedCredentialsFile: nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ? env.AWS_SHARED_CREDENTIALS_FILE : undefined,
    configFile: nonEmpty(env.AWS_CONFIG_FILE) ? env.AWS_CONFIG_FILE : undefined,
  };
}

// ---------------------------------------------------------------------------
// warnings

/** Unknown IRSA_PROBE_* variables, with a did-you-mean when one is close. */
function unknownVariableWarnings(env: Env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('IRSA_PROBE_') && !KNOWN_ENV.includes(name))
    .sort()
    .map((name) => {
      const near = suggest(name, KNOWN_ENV);
      return `unknown variable ${show(name).slice(1, -1)} is ignored${near ? ` (did you mean ${near}?)` : `; known variables: ${KNOWN_ENV.join(', ')}`}`;
    });
}

function timingWarnings(config: Pick<Config, 'intervalMs' | 'timeoutMs'>, intervalName: string): string[] {
  const warnings: string[] = [];
  if (config.intervalMs < SHORT_INTERVAL_MS) {
    const perHour = Math.ceil(3_600_000 / config.intervalMs);
    warnings.push(`${intervalName}=${formatDuration(config.intervalMs)} is below ${formatDuration(SHORT_INTERVAL_MS)}: each pod may call STS every cycle (${perHour} calls per hour); use short intervals for tests and demos only`);
  }
  if (config.timeoutMs >= config.intervalMs) {
    warnings.push(`the per-check timeout ${formatDuration(config.timeoutMs)} is not shorter than the interval ${formatDuration(config.intervalMs)}: a slow cycle delays the next one`);
  }
  return warnings;
}

/** The closest candidate within a small edit distance, else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toUpperCase(), c.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(2, Math.floor((best?.length ?? 0) / 4));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------
// loadConfig

/**
 * argv = process.argv.slice(2): an optional command (serve by default, check,
 * help, version), `--help`/`-h`, `--version`, `--json` (check only) and the
 * setting flags, as `--flag value` or `--flag=value`. Throws ConfigError or UsageError.
 */
export function loadConfig(argv: readonly string[], env: Env): { config: Config; warnings: string[] } {
  rejectRetiredFlags(argv);
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === 'version') {
    // Help and version never fail on a bad setting: build from defaults.
    return { config: resolve({ ...args, flags: new Map() }, {}), warnings: [] };
  }
  rejectRetiredVariables(env);
  const config = resolve(args, env);
  const intervalName = source('interval', args.flags, env)?.name ?? spec('interval').env;
  return { config, warnings: [...unknownVariableWarnings(env), ...timingWarnings(config, intervalName)] };
}

function resolve(args: ParsedArgs, env: Env): Config {
  const { flags } = args;
  const read = (key: Key) => source(key, flags, env);
  const intervalMs = readDuration('interval', read('interval'), 60_000, INTERVAL_RANGE);
  const podName = readPodName(flags, env);
  const prefix = readPrefix(read('s3Prefix'));
  const bucket = readBucket(read('s3Bucket'));
  const timeoutMs = readDuration('timeout', read('timeout'), 5_000, TIMEOUT_RANGE);
  const aws = readAwsEnv(env);
  const expectedRoleArn = readRoleArn(read('expectedRoleArn')) ?? (nonEmpty(aws.roleArn) ? aws.roleArn : undefined);
  const namespace = readNamespace(flags, env);
  const audience = readAudience(read('audience'));
  return {
    command: args.command,
    json: args.json,
    port: readInteger('port', read('port'), DEFAULT_PORT, PORT_RANGE),
    host: readHost(read('host')),
    intervalMs,
    timeoutMs,
    identityIntervalMs: readDuration('identityInterval', read('identityInterval'), 900_000, IDENTITY_RANGE),
    failureThreshold: readInteger('failureThreshold', read('failureThreshold'), 3, THRESHOLD_RANGE),
    successThreshold: readInteger('successThreshold', read('successThreshold'), 1, THRESHOLD_RANGE),
    ...cycleTimings(intervalMs, timeoutMs),
    ...(bucket === undefined ? {} : { s3: { bucket, prefix, key: `${prefix}${podName}` } }),
    ...(expectedRoleArn === undefined ? {} : { expectedRoleArn }),
    ...(audience === undefined ? {} : { audience }),
    assumeRoles: readRoleTargets(read('assumeRoles')),
    logLevel: readLogLevel(read('logLevel')),
    statusEnabled: readBoolean('status', read('status'), true),
    podName,
    ...(namespace === undefined ? {} : { namespace }),
    aws,
  };
}

// ---------------------------------------------------------------------------
// help

/** The --help text, built from SETTINGS. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.flag.length)) + ' VALUE'.length;
  const rows = SETTINGS.map((s) => `  ${`${s.flag} VALUE`.padEnd(width)}  ${s.description}\n  ${' '.repeat(width)}  env ${s.env}; default ${s.default === '' ? '(unset)' : s.default}`);
  return [
    'Usage: irsa-probe [serve | check [--json] | help | version] [--flag value | --flag=value ...]',
    '',
    'Proves, every interval, that this pod can act as its AWS IAM role (IRSA or EKS Pod Identity).',
    '',
    'Commands:',
    '  serve    run the probe and serve /readyz, /livez, /metrics and /status (default)',
    '  check    run one cycle, print the report (--json: as JSON) and exit 0 (pass), 1 (a check failed) or 2 (usage or configuration error)',
    '  help     print this text (also --help, -h)',
    '  version  print the version (also --version)',
    '',
    'Settings (a flag wins over its environment variable; durations like 100ms, 30s, 5m, 1h, 1m30s):',
    ...rows,
    '',
  ].join('\n');
}
