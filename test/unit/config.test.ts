import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { suggest, usage, UsageError } from '../../src/cli-args.js';
import { loadConfig, type Config } from '../../src/config.js';
import { CHECKS } from '../../src/checks/index.js';
import { showValue } from '../../src/redact.js';
import { ConfigError, SETTINGS } from '../../src/settings.js';
import { cycleTimings } from '../../src/timings.js';

type Env = Record<string, string>;

function errorOf(argv: string[], env: Env = {}): Error {
  try {
    loadConfig(argv, env);
  } catch (error) {
    return error as Error;
  }
  assert.fail(`loadConfig(${JSON.stringify(argv)}) did not throw`);
}

const load = (argv: string[] = [], env: Env = {}) => loadConfig(argv, env);
const config = (argv: string[] = [], env: Env = {}): Config => load(argv, env).config;

const EXPECTED = {
  port: 'an integer from 0 to 65535 (0 picks a free port)',
  host: 'an IP address or host name to listen on, e.g. 0.0.0.0, :: or 127.0.0.1',
  interval: 'a duration from 100ms to 24h, e.g. 30s or 1m30s',
  timeout: 'a duration from 10ms to 10m, e.g. 30s or 1m30s',
  identityInterval: 'a duration from 1m to 24h, e.g. 30s or 1m30s',
  threshold: 'an integer from 1 to 100',
  bucket: 'an S3 bucket name of 3-63 lowercase letters, digits, dots and hyphens that starts and ends with a letter or digit',
  prefix: 'a key prefix of at most 512 printable characters that does not start with "/" and has no "." or ".." segment, e.g. irsa-probe/',
  roleArn: 'a role ARN like arn:aws:iam::123456789012:role/NAME',
  audience: 'an audience of 1-256 printable characters without spaces, e.g. sts.amazonaws.com',
  logLevel: 'one of debug, info, warn, error',
  status: 'true or false (also 1/0, yes/no)',
  podName: 'a pod name of 1-253 printable characters without "/" or spaces, other than "." and ".."',
  namespace: 'a Kubernetes namespace: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
};

describe('loadConfig defaults', () => {
  test('an empty environment gives the documented defaults', () => {
    const { config: c, warnings } = load();
    assert.deepEqual(
      { ...c, aws: undefined },
      {
        command: 'serve',
        json: false,
        port: 9876,
        host: '0.0.0.0',
        intervalMs: 60_000,
        timeoutMs: 5_000,
        identityIntervalMs: 900_000,
        failureThreshold: 3,
        successThreshold: 1,
        // seven checks at 5 s, plus a second
        cycleBudgetMs: 36_000,
        // 8 x 60 s x 1.1 (the largest throttling backoff with jitter) + one cycle budget
        staleAfterMs: 564_000,
        // 3 intervals + one cycle budget
        heartbeatTimeoutMs: 216_000,
        assumeRoles: [],
        logLevel: 'info',
        statusEnabled: true,
        podName: 'irsa-probe',
        aws: undefined,
      },
    );
    assert.deepEqual(warnings, []);
    assert.equal(c.s3, undefined);
    assert.equal(c.expectedRoleArn, undefined);
    assert.equal(c.audience, undefined);
    assert.equal(c.namespace, undefined);
  });

  test('staleAfter is the largest backoff plus one cycle, never under 3 intervals', () => {
    const fast = config(['--interval', '300ms', '--timeout', '1s']);
    assert.deepEqual([fast.cycleBudgetMs, fast.staleAfterMs], [8_000, 10_640]);
    assert.equal(config(['--interval', '20s']).staleAfterMs, 176_000 + 36_000);
    for (const [interval, timeout] of [[100, 100], [60_000, 5_000], [3_600_000, 60_000]] as const) {
      const t = cycleTimings(interval, timeout);
      assert.ok(t.staleAfterMs >= 3 * interval && t.staleAfterMs >= 8 * interval + t.cycleBudgetMs, `${interval}/${timeout}`);
    }
  });
});

describe('derived timings', () => {
  test('a cycle budget covers every check in the registry at its timeout', () => {
    for (const timeout of [10, 5_000, 600_000]) assert.ok(cycleTimings(60_000, timeout).cycleBudgetMs >= CHECKS.length * timeout, `${timeout}`);
  });

  test('liveness waits 3 intervals (at least 5 s) plus a cycle budget', () => {
    const fast = config(['--interval', '300ms', '--timeout', '1s']);
    assert.equal(fast.heartbeatTimeoutMs, 5_000 + fast.cycleBudgetMs);
    const slow = config(['--interval', '10m']);
    assert.equal(slow.heartbeatTimeoutMs, 1_800_000 + slow.cycleBudgetMs);
  });
});

describe('the settings table states each default once', () => {
  const shown = (env: string) => SETTINGS.find((s) => s.env === env)!.shownDefault;

  test('--help and the README show the typed default in the form the parser reads', () => {
    assert.deepEqual(
      ['IRSA_PROBE_PORT', 'IRSA_PROBE_INTERVAL', 'IRSA_PROBE_TIMEOUT', 'IRSA_PROBE_IDENTITY_INTERVAL', 'IRSA_PROBE_FAILURE_THRESHOLD', 'IRSA_PROBE_STATUS', 'IRSA_PROBE_S3_BUCKET', 'IRSA_PROBE_ASSUME_ROLES'].map(shown),
      ['9876', '1m', '5s', '15m', '3', 'true', '', ''],
    );
  });

  test('a default taken from other variables names them in the order they are read', () => {
    assert.equal(shown('IRSA_PROBE_POD_NAME'), 'POD_NAME, else HOSTNAME, else irsa-probe');
    assert.equal(shown('IRSA_PROBE_NAMESPACE'), 'POD_NAMESPACE');
    assert.equal(shown('IRSA_PROBE_EXPECTED_ROLE_ARN'), 'AWS_ROLE_ARN');
  });

  test('every shown default, given back as the value, loads as the default', () => {
    const defaults = config();
    for (const s of SETTINGS.filter((s) => s.shownDefault !== '' && !s.shownDefault.includes(' ') && !/^[A-Z_]+$/.test(s.shownDefault))) {
      assert.deepEqual(config([s.flag, s.shownDefault]), defaults, s.flag);
    }
  });
});

describe('loadConfig reads every setting from its variable and its flag', () => {
  const cases: Array<[string, string, string, keyof Config, unknown]> = [
    ['IRSA_PROBE_PORT', '--port', '8080', 'port', 8080],
    ['IRSA_PROBE_PORT', '--port', '0', 'port', 0],
    ['IRSA_PROBE_HOST', '--host', '127.0.0.1', 'host', '127.0.0.1'],
    ['IRSA_PROBE_HOST', '--host', '::1', 'host', '::1'],
    ['IRSA_PROBE_HOST', '--host', 'localhost', 'host', 'localhost'],
    ['IRSA_PROBE_INTERVAL', '--interval', '1m30s', 'intervalMs', 90_000],
    ['IRSA_PROBE_TIMEOUT', '--timeout', '750ms', 'timeoutMs', 750],
    ['IRSA_PROBE_IDENTITY_INTERVAL', '--identity-interval', '1h', 'identityIntervalMs', 3_600_000],
    ['IRSA_PROBE_FAILURE_THRESHOLD', '--failure-threshold', '5', 'failureThreshold', 5],
    ['IRSA_PROBE_SUCCESS_THRESHOLD', '--success-threshold', '100', 'successThreshold', 100],
    ['IRSA_PROBE_EXPECTED_ROLE_ARN', '--expected-role-arn', 'arn:aws:iam::111122223333:role/app', 'expectedRoleArn', 'arn:aws:iam::111122223333:role/app'],
    ['IRSA_PROBE_AUDIENCE', '--audience', 'my-audience', 'audience', 'my-audience'],
    ['IRSA_PROBE_LOG_LEVEL', '--log-level', 'debug', 'logLevel', 'debug'],
    ['IRSA_PROBE_LOG_LEVEL', '--log-level', 'WARN', 'logLevel', 'warn'],
    ['IRSA_PROBE_STATUS', '--status', 'false', 'statusEnabled', false],
    ['IRSA_PROBE_STATUS', '--status', 'no', 'statusEnabled', false],
    ['IRSA_PROBE_STATUS', '--status', '0', 'statusEnabled', false],
    ['IRSA_PROBE_STATUS', '--status', 'YES', 'statusEnabled', true],
    ['IRSA_PROBE_STATUS', '--status', '1', 'statusEnabled', true],
    ['IRSA_PROBE_POD_NAME', '--pod-name', 'api-7d9f-x2', 'podName', 'api-7d9f-x2'],
    ['IRSA_PROBE_NAMESPACE', '--namespace', 'payments', 'namespace', 'payments'],
    ['IRSA_PROBE_ASSUME_ROLES', '--assume-roles', 'arn:aws:iam::444455556666:role/t#ext-1', 'assumeRoles', [{ arn: 'arn:aws:iam::444455556666:role/t', partition: 'aws', accountId: '444455556666', roleName: 't', externalId: 'ext-1' }]],
  ];
  for (const [env, flag, value, key, parsed] of cases) {
    test(`${env}=${value}, ${flag} ${value} and ${flag}=${value} give ${key} ${String(parsed)}`, () => {
      assert.deepEqual(config([], { [env]: value })[key], parsed);
      assert.deepEqual(config([flag, value])[key], parsed);
      assert.deepEqual(config([`${flag}=${value}`])[key], parsed);
    });
  }

  test('every setting in the table is covered by a case above', () => {
    const covered = new Set(cases.map(([env]) => env));
    for (const s of SETTINGS.filter((s) => !s.env.startsWith('IRSA_PROBE_S3_'))) assert.ok(covered.has(s.env), s.env);
  });
});

describe('flags win over variables', () => {
  const cases: Array<[string, string, string, string, keyof Config, unknown]> = [
    ['IRSA_PROBE_PORT', '1111', '--port', '2222', 'port', 2222],
    ['IRSA_PROBE_INTERVAL', '5m', '--interval', '30s', 'intervalMs', 30_000],
    ['IRSA_PROBE_LOG_LEVEL', 'error', '--log-level', 'debug', 'logLevel', 'debug'],
    ['IRSA_PROBE_STATUS', 'false', '--status', 'true', 'statusEnabled', true],
    ['IRSA_PROBE_POD_NAME', 'from-env', '--pod-name', 'from-flag', 'podName', 'from-flag'],
  ];
  for (const [env, envValue, flag, flagValue, key, parsed] of cases) {
    test(`${flag} ${flagValue} beats ${env}=${envValue}`, () => assert.equal(config([flag, flagValue], { [env]: envValue })[key], parsed));
  }

  test('a valid flag hides a bad variable', () => assert.equal(config(['--port', '1'], { IRSA_PROBE_PORT: 'nope' }).port, 1));
  test('the last of a repeated flag wins', () => assert.equal(config(['--port', '1', '--port=2']).port, 2));
});

describe('bad values are ConfigErrors naming the setting, the value and what is expected', () => {
  const cases: Array<[string, string, string]> = [
    ['IRSA_PROBE_PORT', 'http', EXPECTED.port],
    ['IRSA_PROBE_PORT', '65536', EXPECTED.port],
    ['IRSA_PROBE_PORT', '-1', EXPECTED.port],
    ['IRSA_PROBE_PORT', '', EXPECTED.port],
    ['IRSA_PROBE_PORT', '3x', EXPECTED.port],
    ['IRSA_PROBE_PORT', '1e3', EXPECTED.port],
    ['IRSA_PROBE_PORT', '80.0', EXPECTED.port],
    ['IRSA_PROBE_PORT', ' 80', EXPECTED.port],
    ['IRSA_PROBE_PORT', '0x50', EXPECTED.port],
    ['IRSA_PROBE_HOST', '', EXPECTED.host],
    ['IRSA_PROBE_HOST', 'not a host', EXPECTED.host],
    ['IRSA_PROBE_HOST', '[::1]', EXPECTED.host],
    ['IRSA_PROBE_HOST', 'http://0.0.0.0', EXPECTED.host],
    ['IRSA_PROBE_INTERVAL', 'soon', EXPECTED.interval],
    ['IRSA_PROBE_INTERVAL', '', EXPECTED.interval],
    ['IRSA_PROBE_INTERVAL', '99ms', EXPECTED.interval],
    ['IRSA_PROBE_INTERVAL', '25h', EXPECTED.interval],
    ['IRSA_PROBE_INTERVAL', '30', `${EXPECTED.interval} (a bare number needs a unit: did you mean 30s?)`],
    ['IRSA_PROBE_TIMEOUT', '9ms', EXPECTED.timeout],
    ['IRSA_PROBE_TIMEOUT', '11m', EXPECTED.timeout],
    ['IRSA_PROBE_TIMEOUT', '5', `${EXPECTED.timeout} (a bare number needs a unit: did you mean 5s?)`],
    ['IRSA_PROBE_IDENTITY_INTERVAL', '59s', EXPECTED.identityInterval],
    ['IRSA_PROBE_IDENTITY_INTERVAL', '2d', EXPECTED.identityInterval],
    ['IRSA_PROBE_FAILURE_THRESHOLD', '0', EXPECTED.threshold],
    ['IRSA_PROBE_FAILURE_THRESHOLD', '101', EXPECTED.threshold],
    ['IRSA_PROBE_FAILURE_THRESHOLD', 'three', EXPECTED.threshold],
    ['IRSA_PROBE_SUCCESS_THRESHOLD', '', EXPECTED.threshold],
    ['IRSA_PROBE_SUCCESS_THRESHOLD', '1.5', EXPECTED.threshold],
    ['IRSA_PROBE_S3_BUCKET', 'My_Bucket', `${EXPECTED.bucket} (uppercase letters are not allowed)`],
    ['IRSA_PROBE_S3_BUCKET', 's3://my-bucket', `${EXPECTED.bucket} (only lowercase letters, digits, dots and hyphens are allowed)`],
    ['IRSA_PROBE_S3_PREFIX', '/probe/', EXPECTED.prefix],
    ['IRSA_PROBE_S3_PREFIX', 'a/../b/', EXPECTED.prefix],
    ['IRSA_PROBE_S3_PREFIX', '../', EXPECTED.prefix],
    ['IRSA_PROBE_S3_PREFIX', './x/', EXPECTED.prefix],
    ['IRSA_PROBE_S3_PREFIX', 'line\nbreak/', EXPECTED.prefix],
    ['IRSA_PROBE_S3_PREFIX', 'p'.repeat(513), EXPECTED.prefix],
    ['IRSA_PROBE_EXPECTED_ROLE_ARN', 'payments-api', `${EXPECTED.roleArn} (an ARN has 6 colon-separated fields starting with "arn", found 1)`],
    ['IRSA_PROBE_EXPECTED_ROLE_ARN', 'arn:aws:iam::1234:role/x', `${EXPECTED.roleArn} (the account ID "1234" must be 12 digits)`],
    ['IRSA_PROBE_AUDIENCE', 'two words', EXPECTED.audience],
    ['IRSA_PROBE_AUDIENCE', 'a'.repeat(257), EXPECTED.audience],
    ['IRSA_PROBE_LOG_LEVEL', 'verbose', EXPECTED.logLevel],
    ['IRSA_PROBE_LOG_LEVEL', '', EXPECTED.logLevel],
    ['IRSA_PROBE_STATUS', 'on', EXPECTED.status],
    ['IRSA_PROBE_STATUS', '', EXPECTED.status],
    ['IRSA_PROBE_POD_NAME', 'a/b', EXPECTED.podName],
    ['IRSA_PROBE_POD_NAME', 'has space', EXPECTED.podName],
    ['IRSA_PROBE_NAMESPACE', 'Payments', EXPECTED.namespace],
    ['IRSA_PROBE_NAMESPACE', '-ns', EXPECTED.namespace],
    ['IRSA_PROBE_NAMESPACE', 'n'.repeat(64), EXPECTED.namespace],
  ];
  const flagOf = (env: string) => SETTINGS.find((s) => s.env === env)!.flag;
  for (const [env, value, expected] of cases) {
    const shown = showValue(value);
    test(`${env}=${shown.slice(0, 40)} and its flag are rejected`, () => {
      for (const [argv, vars, setting] of [
        [[], { [env]: value }, env],
        [[flagOf(env), value], {}, flagOf(env)],
        [[`${flagOf(env)}=${value}`], {}, flagOf(env)],
      ] as Array<[string[], Env, string]>) {
        if (argv.length === 2 && (value === '' || value.startsWith('--'))) continue; // `--flag ""` is a missing value, tested below
        const error = errorOf(argv, vars);
        assert.ok(error instanceof ConfigError, `${setting}: ${String(error)}`);
        assert.equal(error.message, `${setting}=${shown} is invalid: expected ${expected}`);
        assert.deepEqual([error.setting, error.value, error.expected], [setting, value, expected]);
      }
    });
  }

  test('a pod name from POD_NAME or HOSTNAME is blamed on that variable', () => {
    assert.equal(errorOf([], { POD_NAME: 'a b' }).message, `POD_NAME="a b" is invalid: expected ${EXPECTED.podName}`);
    assert.equal(errorOf([], { HOSTNAME: 'x/y' }).message, `HOSTNAME="x/y" is invalid: expected ${EXPECTED.podName}`);
  });

  test('a namespace from POD_NAMESPACE is blamed on that variable', () => {
    assert.equal(errorOf([], { POD_NAMESPACE: 'NS' }).message, `POD_NAMESPACE="NS" is invalid: expected ${EXPECTED.namespace}`);
  });

  test('a huge value is cut to 80 characters in the message', () => {
    const huge = '7'.repeat(1_048_576);
    const error = errorOf([], { IRSA_PROBE_PORT: huge });
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, `IRSA_PROBE_PORT="${'7'.repeat(80)}… (1048576 characters)" is invalid: expected ${EXPECTED.port}`);
    assert.equal(error.value.length, huge.length);
  });

  test('the message is one line even when the value has a newline', () => {
    const error = errorOf([], { IRSA_PROBE_LOG_LEVEL: 'info\nerror' });
    assert.equal(error.message.split('\n').length, 1);
    assert.match(error.message, /IRSA_PROBE_LOG_LEVEL="info\\nerror"/);
  });

  test('Unicode line and paragraph separators are escaped too', () => {
    assert.equal(errorOf([], { IRSA_PROBE_LOG_LEVEL: 'a\u2028b\u2029c' }).message, `IRSA_PROBE_LOG_LEVEL="a\\u2028b\\u2029c" is invalid: expected ${EXPECTED.logLevel}`);
    assert.doesNotMatch(errorOf(['--x\u2028y']).message, /\u2028/);
  });
});

describe('a flag without its value', () => {
  const flags = SETTINGS.map((s) => s.flag);
  for (const flag of flags) {
    test(`${flag} at the end says it needs a value`, () => {
      const error = errorOf(['check', flag]);
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`^${flag} needs a value: expected .+`));
      assert.doesNotMatch(error.message, /must be a number|is invalid/);
    });
  }

  test('a flag followed by another flag says it needs a value', () => {
    assert.equal(errorOf(['--port', '--host', '127.0.0.1']).message, `--port needs a value: expected ${EXPECTED.port}`);
  });

  test('--interval needs a value names the duration form, not a number', () => {
    assert.equal(errorOf(['--interval']).message, `--interval needs a value: expected ${EXPECTED.interval}`);
  });
});

describe('optional settings: empty means unset', () => {
  const cases: Array<[string, keyof Config]> = [
    ['IRSA_PROBE_S3_BUCKET', 's3'],
    ['IRSA_PROBE_EXPECTED_ROLE_ARN', 'expectedRoleArn'],
    ['IRSA_PROBE_AUDIENCE', 'audience'],
    ['IRSA_PROBE_NAMESPACE', 'namespace'],
  ];
  for (const [env, key] of cases) {
    test(`${env}="" leaves ${key} unset`, () => assert.equal(config([], { [env]: '' })[key], undefined));
  }
  test('IRSA_PROBE_POD_NAME="" falls through to POD_NAME', () => assert.equal(config([], { IRSA_PROBE_POD_NAME: '', POD_NAME: 'api-0' }).podName, 'api-0'));
});

describe('pod name, namespace and S3 key', () => {
  const podNames: Array<[string, Env, string]> = [
    ['IRSA_PROBE_POD_NAME first', { IRSA_PROBE_POD_NAME: 'a', POD_NAME: 'b', HOSTNAME: 'c' }, 'a'],
    ['then POD_NAME', { POD_NAME: 'b', HOSTNAME: 'c' }, 'b'],
    ['then HOSTNAME', { HOSTNAME: 'c' }, 'c'],
    ['then irsa-probe', {}, 'irsa-probe'],
    ['skipping empty values', { POD_NAME: '', HOSTNAME: 'c' }, 'c'],
  ];
  for (const [what, env, podName] of podNames) {
    test(`the pod name is ${what}`, () => assert.equal(config([], env).podName, podName));
  }

  test('the namespace is IRSA_PROBE_NAMESPACE, else POD_NAMESPACE', () => {
    assert.equal(config([], { IRSA_PROBE_NAMESPACE: 'a', POD_NAMESPACE: 'b' }).namespace, 'a');
    assert.equal(config([], { POD_NAMESPACE: 'b' }).namespace, 'b');
  });

  const keys: Array<[string, Env, string[], { bucket: string; prefix: string; key: string }]> = [
    ['the default prefix', { IRSA_PROBE_S3_BUCKET: 'probe-bucket', POD_NAME: 'api-0' }, [], { bucket: 'probe-bucket', prefix: 'irsa-probe/', key: 'irsa-probe/api-0' }],
    ['a custom prefix', { IRSA_PROBE_S3_BUCKET: 'probe-bucket', IRSA_PROBE_S3_PREFIX: 'team/health/' }, ['--pod-name', 'web-1'], { bucket: 'probe-bucket', prefix: 'team/health/', key: 'team/health/web-1' }],
    ['an empty prefix (taken as the default, never the bucket root)', { HOSTNAME: 'node-pod' }, ['--s3-bucket', 'probe-bucket', '--s3-prefix='], { bucket: 'probe-bucket', prefix: 'irsa-probe/', key: 'irsa-probe/node-pod' }],
    ['a prefix without a slash', {}, ['--s3-bucket=probe-bucket', '--s3-prefix', 'probe-'], { bucket: 'probe-bucket', prefix: 'probe-', key: 'probe-irsa-probe' }],
  ];
  for (const [what, env, argv, s3] of keys) {
    test(`the S3 key is <prefix><pod name> with ${what}`, () => assert.deepEqual(config(argv, env).s3, s3));
  }

  test('the S3 check is off without a bucket, even with a prefix', () => assert.equal(config([], { IRSA_PROBE_S3_PREFIX: 'x/' }).s3, undefined));
});

describe('expected role and audience', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/payments-api';
  test('the expected role defaults to AWS_ROLE_ARN, raw (the env check judges it)', () => {
    assert.equal(config([], { AWS_ROLE_ARN: ROLE }).expectedRoleArn, ROLE);
    assert.equal(config([], { AWS_ROLE_ARN: 'not-an-arn' }).expectedRoleArn, 'not-an-arn');
  });
  test('IRSA_PROBE_EXPECTED_ROLE_ARN wins over AWS_ROLE_ARN', () => {
    assert.equal(config([], { AWS_ROLE_ARN: ROLE, IRSA_PROBE_EXPECTED_ROLE_ARN: 'arn:aws:iam::111122223333:role/other' }).expectedRoleArn, 'arn:aws:iam::111122223333:role/other');
  });
  test('the audience stays unset unless given, so the mechanism default applies', () => {
    assert.equal(config([], { AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }).audience, undefined);
  });
});

describe('AWS environment', () => {
  test('reads the identity variables exactly as given', () => {
    const env: Env = {
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/r',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/t',
      AWS_ROLE_SESSION_NAME: 's',
      AWS_REGION: 'eu-west-1',
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:3',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/p',
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-secret',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_PROFILE: 'dev',
    };
    assert.deepEqual(config([], env).aws, {
      roleArn: env.AWS_ROLE_ARN,
      webIdentityTokenFile: '/t',
      roleSessionName: 's',
      region: 'eu-west-1',
      regionVariable: 'AWS_REGION',
      stsRegionalEndpoints: 'regional',
      endpointUrlSts: 'http://127.0.0.1:1',
      endpointUrlS3: 'http://127.0.0.1:2',
      endpointUrl: 'http://127.0.0.1:3',
      containerCredentialsFullUri: 'http://169.254.170.23/v1/credentials',
      containerAuthorizationTokenFile: '/p',
      hasContainerAuthorizationToken: true,
      hasStaticKeys: true,
      profile: 'dev',
      sharedCredentialsFile: undefined,
      configFile: undefined,
    });
  });

  test('the inline authorization token never lands in the config', () => {
    assert.ok(!JSON.stringify(config([], { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-secret-value' })).includes('inline-secret-value'));
  });

  const regions: Array<[string, Env, string | undefined, string | undefined]> = [
    ['AWS_REGION first', { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }, 'eu-west-1', 'AWS_REGION'],
    ['AWS_DEFAULT_REGION when AWS_REGION is unset', { AWS_DEFAULT_REGION: 'us-east-2' }, 'us-east-2', 'AWS_DEFAULT_REGION'],
    ['AWS_DEFAULT_REGION when AWS_REGION is empty', { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-east-2' }, 'us-east-2', 'AWS_DEFAULT_REGION'],
    ['no region when neither is set', {}, undefined, undefined],
  ];
  for (const [what, env, region, variable] of regions) {
    test(`the region is ${what}`, () => {
      const { aws } = config([], env);
      assert.equal(aws.region, region);
      assert.equal(aws.regionVariable, variable);
    });
  }
});

describe('commands and usage errors', () => {
  const commands: Array<[string[], Config['command'], boolean]> = [
    [[], 'serve', false],
    [['serve'], 'serve', false],
    [['check'], 'check', false],
    [['check', '--json'], 'check', true],
    [['--json', 'check'], 'check', true],
    [['--port', '1', 'check'], 'check', false],
    [['help'], 'help', false],
    [['--help'], 'help', false],
    [['-h'], 'help', false],
    [['check', '--help'], 'help', false],
    [['version'], 'version', false],
    [['--version'], 'version', false],
  ];
  for (const [argv, command, json] of commands) {
    test(`${JSON.stringify(argv)} is ${command}${json ? ' --json' : ''}`, () => {
      const c = config(argv);
      assert.equal(c.command, command);
      assert.equal(c.json, json);
    });
  }

  test('help and version ignore bad settings', () => {
    assert.equal(config(['--help'], { IRSA_PROBE_PORT: 'bad' }).command, 'help');
    assert.equal(config(['--version', '--interval', '1'], {}).command, 'version');
  });

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['an unknown flag, with a suggestion and the valid flags', ['--intervl', '5s'], /^unknown flag "--intervl" \(did you mean --interval\?\); valid flags: --port, --host, --interval, .*--version$/],
    ['an unknown flag far from any', ['--frobnicate'], /^unknown flag "--frobnicate"; valid flags: --port/],
    ['an unknown flag written with =', ['--colour=red'], /^unknown flag "--colour"/],
    ['a single-dash flag', ['-p', '1'], /^unknown flag "-p"/],
    ['an unknown command, with a suggestion', ['chek'], /^unknown command "chek" \(did you mean check\?\); valid commands: serve, check, help, version$/],
    ['two commands', ['check', 'serve'], /^unexpected argument "serve": only one command/],
    ['--json with serve', ['serve', '--json'], /^--json is only valid with the check command/],
    ['--json without a command', ['--json'], /^--json is only valid with the check command/],
    ['a value on a switch', ['check', '--json=yes'], /^--json takes no value$/],
  ];
  for (const [what, argv, message] of usageErrors) {
    test(`rejects ${what}`, () => {
      const error = errorOf(argv);
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, message);
    });
  }

  test('a huge unknown flag is not echoed in full', () => {
    const error = errorOf([`--${'x'.repeat(100_000)}`]);
    assert.ok(error instanceof UsageError);
    assert.ok(error.message.length < 1_000);
  });
});

describe('warnings', () => {
  test('an unknown IRSA_PROBE_ variable is reported with a suggestion', () => {
    assert.deepEqual(load([], { IRSA_PROBE_INTERVALL: '30s' }).warnings, ['unknown variable IRSA_PROBE_INTERVALL is ignored (did you mean IRSA_PROBE_INTERVAL?)']);
  });
  test('an unknown IRSA_PROBE_ variable far from any lists the known ones', () => {
    const [warning] = load([], { IRSA_PROBE_COLOUR: 'red' }).warnings;
    assert.match(warning ?? '', /^unknown variable IRSA_PROBE_COLOUR is ignored; known variables: IRSA_PROBE_PORT, .*IRSA_PROBE_NAMESPACE$/);
  });
  test('other variables are not reported', () => assert.deepEqual(load([], { PATH: '/bin', AWS_REGION: 'us-east-1', IRSA_PROBE: 'x' }).warnings, []));

  const intervals: Array<[string[], Env, RegExp | undefined]> = [
    [['--interval', '100ms', '--timeout', '50ms'], {}, /^--interval=100ms is below 10s: each pod may call STS every cycle \(36000 calls per hour\)/],
    [[], { IRSA_PROBE_INTERVAL: '9s' }, /^IRSA_PROBE_INTERVAL=9s is below 10s/],
    [[], { IRSA_PROBE_INTERVAL: '10s' }, undefined],
  ];
  for (const [argv, env, warning] of intervals) {
    test(`interval ${argv[1] ?? env.IRSA_PROBE_INTERVAL} ${warning ? 'warns' : 'does not warn'}`, () => {
      const found = load(argv, env).warnings.filter((w) => w.includes('is below 10s'));
      if (warning === undefined) assert.deepEqual(found, []);
      else {
        assert.equal(found.length, 1);
        assert.match(found[0]!, warning);
      }
    });
  }

  test('a timeout not shorter than the interval warns', () => {
    assert.ok(load(['--interval', '1s', '--timeout', '1s']).warnings.includes('the per-check timeout 1s is not shorter than the interval 1s: a slow cycle delays the next one'));
    assert.ok(!load(['--interval', '1s', '--timeout', '999ms']).warnings.some((w) => w.includes('per-check timeout')));
  });
});

describe('help text', () => {
  test('lists every setting with its variable and default', () => {
    const text = usage();
    for (const s of SETTINGS) {
      assert.ok(text.includes(`${s.flag} VALUE`), s.flag);
      assert.ok(text.includes(`env ${s.env}; default`), s.env);
    }
    assert.match(text, /^Usage: irsa-probe/);
  });
  test('every setting has a distinct variable and flag', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length);
    assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length);
    for (const s of SETTINGS) assert.equal(s.env, `IRSA_PROBE_${s.flag.slice(2).replaceAll('-', '_').toUpperCase()}`);
  });
});

describe('suggest', () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ['--prot', ['--port', '--host'], '--port'],
    ['IRSA_PROBE_S3_BUKET', ['IRSA_PROBE_S3_BUCKET', 'IRSA_PROBE_S3_PREFIX'], 'IRSA_PROBE_S3_BUCKET'],
    ['zzzzzz', ['--port'], undefined],
    ['x'.repeat(1_000), ['--port'], undefined],
  ];
  for (const [word, candidates, expected] of cases) {
    test(`suggests ${String(expected)} for ${word.slice(0, 20)}`, () => assert.equal(suggest(word, candidates), expected));
  }
});

describe('the retired assume interval', () => {
  const retired = /^(IRSA_PROBE_ASSUME_INTERVAL|--assume-interval) was retired: every cycle re-assumes the role, .* raise IRSA_PROBE_INTERVAL \(detection time = IRSA_PROBE_FAILURE_THRESHOLD x IRSA_PROBE_INTERVAL\)$/;
  const cases: Array<[string, string[], Env]> = [
    ['the variable', [], { IRSA_PROBE_ASSUME_INTERVAL: '1h' }],
    ['the variable, even empty', ['check'], { IRSA_PROBE_ASSUME_INTERVAL: '' }],
    ['the flag', ['--assume-interval', '2s'], {}],
    ['the flag with =', ['serve', '--assume-interval=30s'], {}],
  ];
  for (const [what, argv, env] of cases) {
    test(`${what} is a configuration error on one line that says what to do instead`, () => {
      const error = errorOf(argv, env);
      assert.ok(error instanceof ConfigError, `${error.name}: ${error.message}`);
      assert.match(error.message, retired);
      assert.ok(!error.message.includes('\n'));
    });
  }

  test('help still works with the variable set', () => {
    assert.equal(config(['--help'], { IRSA_PROBE_ASSUME_INTERVAL: '1h' }).command, 'help');
  });

  test('is in neither the settings table nor the help text', () => {
    assert.ok(!SETTINGS.some((s) => /ASSUME_INTERVAL/.test(s.env)));
    assert.ok(!usage().includes('assume-interval'));
  });
});
