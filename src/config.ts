/**
 * Environment and flags → one validated, readonly Config.
 *
 * Every setting is an `IRSA_PROBE_*` variable and a flag (the table is in
 * settings.ts, argv parsing in cli-args.ts); the flag wins. A bad value is a
 * ConfigError naming the variable or flag as written, the (cut) value and
 * what is expected. Nothing here reads `process.env`: loadConfig takes the
 * environment as an argument.
 */
import { parseArgs, rejectRetiredVariables, suggest, type Command, type ParsedArgs } from './cli-args.js';
import { formatDuration } from './duration.js';
import { showValue } from './redact.js';
import type { RoleTarget } from './role-targets.js';
import { nonEmpty, readSetting, SETTING, SETTINGS, sourceOf, type Env, type Setting } from './settings.js';
import { cycleTimings, type CycleTimings } from './timings.js';
import type { LogLevel } from './types.js';

/** Below this interval the probe warns: every pod calls STS every interval. */
const SHORT_INTERVAL_MS = 10_000;

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
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN set inline. */
  readonly hasContainerAuthorizationToken: boolean;
  /**
   * Its value, for the token check to hand to the agent call (as the SDK sends it when no file is set).
   * Not enumerable: JSON (status, logs), spreads and comparisons of the config never carry it.
   */
  readonly containerAuthorizationToken?: string;
  /** AWS_ACCESS_KEY_ID set: the default chain would use environment keys first. */
  readonly hasStaticKeys: boolean;
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

export interface Config extends CycleTimings {
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

/**
 * argv and the environment → the Config and its warnings (unknown variables,
 * risky timings). Throws ConfigError or UsageError.
 */
export function loadConfig(argv: readonly string[], env: Env): { config: Config; warnings: string[] } {
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === 'version') {
    // Help and version never fail on a bad setting: build from defaults.
    return { config: resolve({ ...args, flags: new Map() }, {}), warnings: [] };
  }
  rejectRetiredVariables(env);
  const config = resolve(args, env);
  const intervalName = sourceOf(SETTING.interval, args.flags, env)?.name ?? SETTING.interval.env;
  return { config, warnings: [...unknownVariableWarnings(env), ...timingWarnings(config, intervalName)] };
}

function resolve({ command, json, flags }: ParsedArgs, env: Env): Config {
  const read = <T>(s: Setting<T>): T => readSetting(s, flags, env);
  const intervalMs = read(SETTING.interval);
  const podName = read(SETTING.podName);
  const prefix = read(SETTING.s3Prefix);
  const bucket = read(SETTING.s3Bucket);
  const timeoutMs = read(SETTING.timeout);
  const aws = readAwsEnv(env);
  const expectedRoleArn = read(SETTING.expectedRoleArn) ?? (nonEmpty(aws.roleArn) ? aws.roleArn : undefined);
  const namespace = read(SETTING.namespace);
  const audience = read(SETTING.audience);
  return {
    command,
    json,
    port: read(SETTING.port),
    host: read(SETTING.host),
    intervalMs,
    timeoutMs,
    identityIntervalMs: read(SETTING.identityInterval),
    failureThreshold: read(SETTING.failureThreshold),
    successThreshold: read(SETTING.successThreshold),
    ...cycleTimings(intervalMs, timeoutMs),
    ...(bucket === undefined ? {} : { s3: { bucket, prefix, key: `${prefix}${podName}` } }),
    ...(expectedRoleArn === undefined ? {} : { expectedRoleArn }),
    ...(audience === undefined ? {} : { audience }),
    assumeRoles: read(SETTING.assumeRoles),
    logLevel: read(SETTING.logLevel),
    statusEnabled: read(SETTING.status),
    podName,
    ...(namespace === undefined ? {} : { namespace }),
    aws,
  };
}

/** The identity variables as the SDK reads them; values are not judged here. */
export function readAwsEnv(env: Env): AwsEnv {
  const regionVariable = nonEmpty(env.AWS_REGION) ? 'AWS_REGION' : nonEmpty(env.AWS_DEFAULT_REGION) ? 'AWS_DEFAULT_REGION' : undefined;
  const aws: AwsEnv = {
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
    profile: nonEmpty(env.AWS_PROFILE) ? env.AWS_PROFILE : undefined,
    sharedCredentialsFile: nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ? env.AWS_SHARED_CREDENTIALS_FILE : undefined,
    configFile: nonEmpty(env.AWS_CONFIG_FILE) ? env.AWS_CONFIG_FILE : undefined,
  };
  if (nonEmpty(env.AWS_CONTAINER_AUTHORIZATION_TOKEN)) {
    Object.defineProperty(aws, 'containerAuthorizationToken', { value: env.AWS_CONTAINER_AUTHORIZATION_TOKEN, enumerable: false });
  }
  return aws;
}

const KNOWN_ENV = SETTINGS.map((s) => s.env);

/** Unknown IRSA_PROBE_* variables, with a did-you-mean when one is close. */
function unknownVariableWarnings(env: Env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('IRSA_PROBE_') && !KNOWN_ENV.includes(name))
    .sort()
    .map((name) => {
      const near = suggest(name, KNOWN_ENV);
      return `unknown variable ${showValue(name).slice(1, -1)} is ignored${near ? ` (did you mean ${near}?)` : `; known variables: ${KNOWN_ENV.join(', ')}`}`;
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
