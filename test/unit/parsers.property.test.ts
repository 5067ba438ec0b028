/**
 * Property tests of the input parsers: they only ever throw their own typed
 * error (never a TypeError or RangeError), answer quickly on any input, and
 * formatDuration/parseDuration round-trip.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AwsNameError, isRegion, parseAssumedRoleArn, parseBucketName, parseRoleArn, partitionOfRegion, PARTITIONS, stsEndpointFor } from '../../src/aws-names.js';
import { UsageError } from '../../src/cli-args.js';
import { loadConfig, readAwsEnv } from '../../src/config.js';
import { ConfigError, SETTINGS } from '../../src/settings.js';
import { DurationError, formatDuration, parseDuration } from '../../src/duration.js';
import { detectMechanism } from '../../src/mechanism.js';
import { timed as timedWithin } from '../helpers/bounded.js';

const RUNS = { numRuns: 500 };
/** Generous bound for one call on a noisy 2-core machine; a catastrophic regex takes far longer. */
const CALL_BUDGET_MS = 1_000;
const timed = <T>(fn: () => T) => timedWithin(fn, CALL_BUDGET_MS);

/** Any text, including long runs of the characters the parsers care about. */
function textNear(alphabet: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }).map((parts) => parts.join('')),
    fc.tuple(fc.constantFrom(...alphabet), fc.integer({ min: 1_000, max: 20_000 }), fc.constantFrom('', '!', ' ', '/', ':')).map(([piece, n, tail]) => piece.repeat(n) + tail),
  );
}

describe('parseDuration and formatDuration', () => {
  test('only ever return whole non-negative milliseconds or throw DurationError', () => {
    fc.assert(
      fc.property(textNear(['0', '1', '9', '.', 'h', 'm', 's', 'ms', '30s', '1m', '-', ' ', 'e', 'µs']), (text) => {
        const { value, error } = timed(() => parseDuration(text));
        if (error !== undefined) return assert.ok(error instanceof DurationError, String(error));
        assert.ok(Number.isSafeInteger(value) && value! >= 0, String(value));
      }),
      RUNS,
    );
  });

  test('parse(format(ms)) is ms for every whole number of milliseconds', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (ms) => assert.equal(parseDuration(formatDuration(ms)), ms)), RUNS);
  });

  test('a duration built from components parses to their sum, and formats back to the same value', () => {
    const part = fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined });
    fc.assert(
      fc.property(fc.record({ h: part, m: part, s: part, ms: part }), (parts) => {
        const units = (['h', 'm', 's', 'ms'] as const).filter((u) => parts[u] !== undefined);
        fc.pre(units.length > 0);
        const text = units.map((u) => `${parts[u]}${u}`).join('');
        const expected = (parts.h ?? 0) * 3_600_000 + (parts.m ?? 0) * 60_000 + (parts.s ?? 0) * 1_000 + (parts.ms ?? 0);
        assert.equal(parseDuration(text), expected);
        assert.equal(parseDuration(formatDuration(expected)), expected);
      }),
      RUNS,
    );
  });

  test('formatDuration output is canonical: formatting a parsed format is stable', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (ms) => assert.equal(formatDuration(parseDuration(formatDuration(ms))), formatDuration(ms))), RUNS);
  });

  test('formatDuration only throws DurationError, for negative or non-finite input', () => {
    fc.assert(
      fc.property(fc.double(), (ms) => {
        const { value, error } = timed(() => formatDuration(ms));
        if (error !== undefined) {
          assert.ok(error instanceof DurationError);
          assert.ok(!(Number.isFinite(ms) && ms >= 0), `threw for ${ms}`);
        } else assert.equal(typeof value, 'string');
      }),
      RUNS,
    );
  });
});

const ARN_PIECES = ['arn', 'aws', 'aws-cn', 'aws-us-gov', 'iam', 'sts', ':', '::', '/', 'role', 'role/', 'assumed-role/', '123456789012', '12', 'x', 'name', '-', '.', ' ', '\n', 'é'];

describe('ARN parsers', () => {
  test('parseRoleArn returns a consistent RoleArn or throws AwsNameError', () => {
    fc.assert(
      fc.property(textNear(ARN_PIECES), (text) => {
        const { value, error } = timed(() => parseRoleArn(text));
        if (error !== undefined) {
          assert.ok(error instanceof AwsNameError, String(error));
          return assert.ok(error.message.length < 400 && error.expected.length > 0);
        }
        const path = value!.path === '/' ? '' : value!.path.slice(1);
        assert.equal(`arn:${value!.partition}:iam::${value!.accountId}:role/${path}${value!.roleName}`, text);
      }),
      RUNS,
    );
  });

  test('parseAssumedRoleArn returns a consistent AssumedRoleArn or throws AwsNameError', () => {
    fc.assert(
      fc.property(textNear(ARN_PIECES), (text) => {
        const { value, error } = timed(() => parseAssumedRoleArn(text));
        if (error !== undefined) return assert.ok(error instanceof AwsNameError, String(error));
        assert.equal(`arn:${value!.partition}:sts::${value!.accountId}:assumed-role/${value!.roleName}/${value!.sessionName}`, text);
      }),
      RUNS,
    );
  });

  const NAME = fc.stringMatching(/^[\w+=,.@-]{1,64}$/);
  const SEGMENT = fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/);
  const ACCOUNT = fc.stringMatching(/^\d{12}$/);

  test('every well-formed role ARN parses into its parts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PARTITIONS), ACCOUNT, fc.array(SEGMENT, { maxLength: 5 }), NAME, (partition, accountId, segments, roleName) => {
        const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
        const arn = `arn:${partition}:iam::${accountId}:role${path}${roleName}`;
        assert.deepEqual(parseRoleArn(arn), { arn, partition, accountId, path, roleName });
      }),
      RUNS,
    );
  });

  test('every well-formed assumed-role ARN parses into role and session', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PARTITIONS), ACCOUNT, NAME, fc.stringMatching(/^[\w+=,.@-]{2,64}$/), (partition, accountId, roleName, sessionName) => {
        const arn = `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
        assert.deepEqual(parseAssumedRoleArn(arn), { arn, partition, accountId, roleName, sessionName });
      }),
      RUNS,
    );
  });
});

describe('bucket names, regions and endpoints', () => {
  test('parseBucketName returns its input or throws AwsNameError', () => {
    fc.assert(
      fc.property(textNear(['a', 'z', '0', '.', '-', '--', 'xn--', '-s3alias', '--x-s3', 'A', '_', 'arn:aws:s3:', '192.168.0.1']), (text) => {
        const { value, error } = timed(() => parseBucketName(text));
        if (error !== undefined) return assert.ok(error instanceof AwsNameError, String(error));
        assert.equal(value, text);
      }),
      RUNS,
    );
  });

  test('every name of 3-63 lowercase letters and digits is a valid bucket', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-wyz0-9][a-z0-9]{2,62}$/), (name) => assert.equal(parseBucketName(name), name)), RUNS);
  });

  test('isRegion, partitionOfRegion and stsEndpointFor never throw and agree with each other', () => {
    const region = textNear(['us', 'eu', 'cn', 'gov', 'iso', 'isob', 'east', 'west', '-', '1', '12', 'eusc', 'de']);
    const optional = fc.option(fc.string({ maxLength: 40 }), { nil: undefined });
    fc.assert(
      fc.property(region, optional, (text, regional) => {
        const { value: valid, error } = timed(() => isRegion(text));
        assert.equal(error, undefined);
        const partition = partitionOfRegion(text);
        assert.ok((PARTITIONS as readonly string[]).includes(partition));
        const endpoint = stsEndpointFor(text);
        if (valid) assert.ok(endpoint.startsWith(`https://sts.${text}.`), endpoint);
      }),
      RUNS,
    );
  });
});

const FLAGS = SETTINGS.map((s) => s.flag);
const ENV_NAMES = [...SETTINGS.map((s) => s.env), 'POD_NAME', 'HOSTNAME', 'POD_NAMESPACE', 'AWS_ROLE_ARN', 'AWS_REGION', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'IRSA_PROBE_TYPO'];
const VALUES = ['\n', '\u2028', '--x\ny', '', '0', '1', '3', '30s', '100ms', '1h', 'true', 'no', 'debug', 'my-bucket', 'probe/', '../', 'arn:aws:iam::111122223333:role/r', '127.0.0.1', '::', 'ns', 'x y', '-1', '1e3'];
const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 100, max: 100_000 }).map((n) => '9'.repeat(n)));

describe('loadConfig', () => {
  test('only ever throws ConfigError or UsageError, with a bounded one-line message', () => {
    const token = fc.oneof(fc.constantFrom(...FLAGS, 'check', 'serve', 'help', 'version', '--json', '--help', '--version', '-x', '--nope', '--bad\u2029flag', 'cmd\n'), value, fc.constantFrom(...FLAGS).chain((f) => value.map((v) => `${f}=${v}`)));
    const env = fc.dictionary(fc.constantFrom(...ENV_NAMES), value, { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), env, (argv, vars) => {
        const { value: loaded, error } = timed(() => loadConfig(argv, vars));
        if (error !== undefined) {
          assert.ok(error instanceof ConfigError || error instanceof UsageError, String(error));
          assert.ok(error.message.length < 1_200, `message of ${error.message.length} characters`);
          assert.ok(!/[\n\r\u2028\u2029]/.test(error.message), error.message);
          return;
        }
        const c = loaded!.config;
        assert.ok(Number.isInteger(c.port) && c.port >= 0 && c.port <= 65_535);
        assert.ok(c.intervalMs >= 100 && c.staleAfterMs >= 3 * c.intervalMs && c.staleAfterMs > c.cycleBudgetMs);
        assert.ok(c.failureThreshold >= 1 && c.successThreshold >= 1);
        if (c.s3) assert.equal(c.s3.key, `${c.s3.prefix}${c.podName}`);
        for (const w of loaded!.warnings) assert.ok(w.length < 2_000);
      }),
      RUNS,
    );
  });

  test('secret variables never reach the config or the warnings', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9/+]{24,60}$/);
    fc.assert(
      fc.property(secret, (s) => {
        const { config, warnings } = loadConfig(['check'], { AWS_CONTAINER_AUTHORIZATION_TOKEN: s, AWS_SECRET_ACCESS_KEY: s, AWS_SESSION_TOKEN: s, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' });
        assert.ok(!JSON.stringify({ config, warnings }).includes(s));
        assert.equal(config.aws.hasContainerAuthorizationToken, true);
      }),
      { numRuns: 100 },
    );
  });

  test('detectMechanism never throws on any identity environment', () => {
    const names = ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.constantFrom('', 'x', '/t'), { maxKeys: 4 }), (env) => {
        const info = detectMechanism(readAwsEnv(env));
        assert.ok(['irsa', 'pod-identity', 'none'].includes(info.mechanism));
        assert.equal(info.bothSet, info.mechanism === 'irsa' && Boolean(env.AWS_CONTAINER_CREDENTIALS_FULL_URI));
      }),
      RUNS,
    );
  });
});
