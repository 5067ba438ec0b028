/**
 * loadConfig as a whole under hostile input: whole environments (any names,
 * prototype-looking keys, megabyte values) and any argv. Complements
 * parsers.property.test.ts (which covers the individual parsers and the known
 * variables): here the properties are about the whole: only ConfigError or
 * UsageError come out, the error names what the user actually wrote and never
 * echoes more than a bounded slice of it, the result does not depend on
 * anything but the input (deterministic, no mutation), and a flag always wins
 * over its variable.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/cli-args.js';
import { loadConfig, type Config } from '../../src/config.js';
import { MAX_SHOWN } from '../../src/redact.js';
import { ConfigError, SETTINGS } from '../../src/settings.js';

const RUNS = { numRuns: 300 };
const CALL_BUDGET_MS = 1_000;
const FLAGS = SETTINGS.map((s) => s.flag);
const VARS = SETTINGS.map((s) => s.env);

type Outcome = { config: Config; warnings: string[] } | { error: unknown };

function load(argv: readonly string[], env: Record<string, string | undefined>): Outcome {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = loadConfig(argv, env);
  } catch (error) {
    outcome = { error };
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < CALL_BUDGET_MS, `loadConfig took ${elapsed.toFixed(0)} ms`);
  return outcome;
}

/** Values people and attackers put in variables. */
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', ' ', '0', '-1', '1e3', '0x10', '99999999999999999999', 'NaN', 'Infinity', 'true', 'FALSE', '30s', '100ms', '0ms', '1h', '25h', '\u0000', '\n', '${HOME}', '$(id)', '`id`', '%00', '../', '/etc/passwd', 'arn:aws:iam::111122223333:role/r', '::', '0.0.0.0', 'localhost', 'bucket', 'irsa-probe/', 'a'.repeat(300)),
  fc.integer({ min: 1_000, max: 1_000_000 }).map((n) => 'x'.repeat(n)),
);

/** Variable names: the probe's own, near misses, AWS's, and arbitrary keys including prototype names. */
const name = fc.oneof(
  fc.constantFrom(...VARS),
  fc.constantFrom(...VARS).map((v) => v.toLowerCase()),
  fc.string({ maxLength: 30 }).map((s) => `IRSA_PROBE_${s}`),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'POD_NAME', 'HOSTNAME', 'POD_NAMESPACE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_PROFILE', ''),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** A plain object built with defineProperty, so `__proto__` is an own key like any other. */
function envOf(entries: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of entries) Object.defineProperty(env, k, { value: v, enumerable: true, writable: true, configurable: true });
  return env;
}
const environment = fc.array(fc.tuple(name, value), { maxLength: 12 }).map(envOf);

/** argv tokens: commands, flags, `--flag=value`, dashes, and anything. */
const argToken = fc.oneof(
  fc.constantFrom('serve', 'check', 'help', 'version', '--json', '--help', '-h', '--version', '-', '--', '---', '--=', '-=x', '--port=', '--interval==1s', 'CHECK', 'check\u0000'),
  fc.constantFrom(...FLAGS),
  fc.tuple(fc.constantFrom(...FLAGS), value).map(([f, v]) => `${f}=${v}`),
  value,
);
const argv = fc.array(argToken, { maxLength: 10 });

function isTyped(error: unknown): error is ConfigError | UsageError {
  return error instanceof ConfigError || error instanceof UsageError;
}

describe('loadConfig under hostile environments and argv', () => {
  test('only ConfigError or UsageError come out, with a bounded one-line message', () => {
    fc.assert(
      fc.property(argv, environment, (args, env) => {
        const outcome = load(args, env);
        if (!('error' in outcome)) return;
        assert.ok(isTyped(outcome.error), `threw ${String(outcome.error)}`);
        assert.ok(outcome.error.message.length < 2_000, `message of ${outcome.error.message.length} characters`);
        assert.ok(!/[\r\n]/.test(outcome.error.message), JSON.stringify(outcome.error.message));
      }),
      RUNS,
    );
  });

  test('a ConfigError names a flag the user passed or a variable that is set, and keeps the whole value', () => {
    fc.assert(
      fc.property(argv, environment, (args, env) => {
        const outcome = load(args, env);
        if (!('error' in outcome) || !(outcome.error instanceof ConfigError)) return;
        const e = outcome.error;
        const passedFlag = args.some((a) => a === e.setting || a.startsWith(`${e.setting}=`));
        const setVariable = Object.prototype.hasOwnProperty.call(env, e.setting) && env[e.setting] === e.value;
        assert.ok(passedFlag || setVariable, `ConfigError names ${JSON.stringify(e.setting)}, which the input does not contain`);
        if (setVariable) assert.equal(e.value, env[e.setting]);
      }),
      RUNS,
    );
  });

  test('an error message never echoes more than a short slice of the offending value', () => {
    const long = fc.string({ minLength: MAX_SHOWN * 2, maxLength: 5_000 }).filter((s) => s.trim().length > MAX_SHOWN * 2);
    fc.assert(
      fc.property(fc.constantFrom(...SETTINGS), long, fc.boolean(), (setting, v, asFlag) => {
        const outcome = asFlag ? load(['check', `${setting.flag}=${v}`], {}) : load(['check'], { [setting.env]: v });
        if (!('error' in outcome)) return;
        assert.ok(isTyped(outcome.error), String(outcome.error));
        assert.ok(!outcome.error.message.includes(v.slice(0, MAX_SHOWN + 20)), `message echoes more than ${MAX_SHOWN} characters of the value`);
      }),
      RUNS,
    );
  });

  test('megabyte values in every variable and flag are judged within the budget', () => {
    const big = 'x'.repeat(1024 * 1024);
    const env = Object.fromEntries([...VARS, 'POD_NAME', 'HOSTNAME', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', `IRSA_PROBE_${big}`].map((v) => [v, big]));
    for (const args of [['check'], ['check', ...FLAGS.flatMap((f) => [f, big])], [`--${big}`], [big]]) {
      const outcome = load(args, env);
      assert.ok('error' in outcome && isTyped(outcome.error), 'a megabyte value must be refused with a typed error');
      assert.ok(outcome.error.message.length < 2_000);
    }
  });

  test('the outcome depends only on the input: same input, same result; the input is never modified', () => {
    fc.assert(
      fc.property(argv, environment, (args, env) => {
        const frozenEnv = Object.freeze(envOf(Object.entries(env)));
        const frozenArgs = Object.freeze([...args]);
        const first = load(frozenArgs, frozenEnv);
        const second = load(frozenArgs, frozenEnv);
        if ('error' in first) {
          assert.ok('error' in second && isTyped(first.error) && isTyped(second.error));
          assert.equal((second.error as Error).message, (first.error as Error).message);
          return;
        }
        assert.deepEqual(second, first);
      }),
      RUNS,
    );
  });

  /** One valid value pair per setting and where it lands in Config. */
  interface Win {
    flag: string;
    env: string;
    a: string;
    b: string;
    read: (c: Config) => unknown;
    want: (v: string) => unknown;
  }
  const ALL_WINS: readonly Win[] = [
    { flag: '--port', env: 'IRSA_PROBE_PORT', a: '8080', b: '9090', read: (c) => c.port, want: Number },
    { flag: '--host', env: 'IRSA_PROBE_HOST', a: '127.0.0.1', b: '::1', read: (c) => c.host, want: (v) => v },
    { flag: '--interval', env: 'IRSA_PROBE_INTERVAL', a: '5s', b: '7s', read: (c) => c.intervalMs, want: (v) => Number.parseInt(v, 10) * 1000 },
    { flag: '--timeout', env: 'IRSA_PROBE_TIMEOUT', a: '2s', b: '3s', read: (c) => c.timeoutMs, want: (v) => Number.parseInt(v, 10) * 1000 },
    { flag: '--failure-threshold', env: 'IRSA_PROBE_FAILURE_THRESHOLD', a: '4', b: '6', read: (c) => c.failureThreshold, want: Number },
    { flag: '--success-threshold', env: 'IRSA_PROBE_SUCCESS_THRESHOLD', a: '2', b: '5', read: (c) => c.successThreshold, want: Number },
    { flag: '--log-level', env: 'IRSA_PROBE_LOG_LEVEL', a: 'debug', b: 'error', read: (c) => c.logLevel, want: (v) => v },
    { flag: '--status', env: 'IRSA_PROBE_STATUS', a: 'true', b: 'false', read: (c) => c.statusEnabled, want: (v) => v === 'true' },
    { flag: '--s3-bucket', env: 'IRSA_PROBE_S3_BUCKET', a: 'bucket-one', b: 'bucket-two', read: (c) => c.s3?.bucket, want: (v) => v },
    { flag: '--audience', env: 'IRSA_PROBE_AUDIENCE', a: 'sts.amazonaws.com', b: 'api.example.com', read: (c) => c.audience, want: (v) => v },
  ];
  const WINS = ALL_WINS.filter((w) => FLAGS.includes(w.flag));

  test('a flag wins over its variable, whatever else the environment holds', () => {
    assert.ok(WINS.length >= 8, 'the settings table lost its flags');
    const noise = fc.array(fc.tuple(fc.string({ maxLength: 20 }).map((s) => `NOISE_${s}`), value), { maxLength: 5 }).map(envOf);
    fc.assert(
      fc.property(fc.constantFrom(...WINS), fc.boolean(), fc.boolean(), noise, (w, swap, equalsForm, extra) => {
        const [fromEnv, fromFlag] = swap ? [w.b, w.a] : [w.a, w.b];
        const flagArgs = equalsForm ? [`${w.flag}=${fromFlag}`] : [w.flag, fromFlag];
        const outcome = load(['check', ...flagArgs], { ...extra, [w.env]: fromEnv });
        assert.ok(!('error' in outcome), `refused: ${'error' in outcome ? String(outcome.error) : ''}`);
        assert.deepEqual(w.read(outcome.config), w.want(fromFlag));
      }),
      RUNS,
    );
  });

  test('every unknown IRSA_PROBE_ variable gets exactly one warning, and known ones none', () => {
    const unknown = fc.stringMatching(/^[A-Z0-9_]{1,30}$/).map((s) => `IRSA_PROBE_${s}`).filter((n) => !VARS.includes(n));
    fc.assert(
      fc.property(fc.uniqueArray(unknown, { maxLength: 5 }), (names) => {
        const outcome = load(['check'], Object.fromEntries(names.map((n) => [n, '1'])));
        assert.ok(!('error' in outcome), String('error' in outcome && outcome.error));
        const unknownWarnings = outcome.warnings.filter((w) => w.startsWith('unknown variable'));
        assert.equal(unknownWarnings.length, names.length, unknownWarnings.join(' | '));
        for (const n of names) assert.equal(unknownWarnings.filter((w) => w.includes(`${n} `)).length, 1, n);
      }),
      RUNS,
    );
  });
});
