/**
 * Hostile values through every output. Arbitrary strings in every token claim
 * (iss, sub, aud, the kubernetes.io namespace and service account) and in
 * every identity variable (role ARN, region, token paths, endpoint and agent
 * URLs carrying a password and a query secret, session name), and arbitrary
 * multi-line AWS error messages, go through a real probe cycle (the SDK faked
 * at the client boundary) into the text report, the JSON report, the log,
 * /status and /metrics. Each must hold:
 *
 * - text report: one line per check, no line at column 0 that is not a check,
 *   a finding header or the summary, and no control or format character;
 * - JSON report: every check's verdict, message and findings parse back unchanged;
 * - log lines and /status: valid JSON, one log record per line;
 * - /metrics: every line a comment or one sample;
 * - every printed command (aws, kubectl, eksctl) parses back with a shell-words
 *   parser (shell-quote) to plain words: no operator, comment, glob or
 *   variable, and a token value in it is either itself (when it has the shape
 *   AWS or Kubernetes allows) or "(invalid value)";
 * - no userinfo password and no query secret from any URL, anywhere.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'shell-quote';
import { CHECK_NAMES } from '../../src/checks/index.js';
import { ConfigError } from '../../src/settings.js';
import { createLogger } from '../../src/log.js';
import { renderText } from '../../src/report.js';
import { createServeState } from '../../src/serve-state.js';
import { INVALID_VALUE, ISSUER_SHAPE, NAMESPACE_SHAPE, SERVICE_ACCOUNT_SHAPE } from '../../src/shell.js';
import type { CheckResult, Report } from '../../src/types.js';
import { ASSUMED_ARN, configFrom, NODE_ROLE_ARN, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { ISSUER, SUBJECT, unsignedToken } from '../helpers/tokens.js';

const RUNS = { numRuns: 200 };
const USERINFO_SECRET = 'Pa55wordInUrl';
const QUERY_SECRET = 'QuerySecretValue';
const UNPRINTABLE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const CHECK_LINE = new RegExp(`^(PASS|FAIL|SKIP) (${CHECK_NAMES.join('|')}) `);
const FINDING_HEADER = new RegExp(`^(ERROR|WARNING) (${CHECK_NAMES.join('|')}) [a-z0-9_]+$`);
const COMMAND = /^\s+(aws|kubectl|eksctl) /;

/** Text a hostile value is made of: controls, bidi overrides, shell metacharacters, quotes, newlines. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\n', '\r', '\u001b', '\u0000', '\u202e', '\u2028', '\t', ';', '|', '&', '$', '`', '(', ')', "'", '"', '\\', '#', '*', '<', '>', '{', '}', ' ', 'PASS sts ', '$(id)', '${HOME}'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
const maybe = <T>(valid: T, hostile: fc.Arbitrary<T>) => fc.oneof(fc.constant(valid), hostile);
const secretUrl = (host: string) => `http://user:${USERINFO_SECRET}@${host}/v1/credentials?X-Amz-Security-Token=${QUERY_SECRET}`;

interface Case {
  mechanism: 'irsa' | 'pod-identity';
  claims: { iss: string; sub: string; aud: string; namespace: string; serviceAccount: string };
  env: Record<string, string>;
  stsError: { name: string; message: string } | undefined;
  chainArn: string;
  s3Error: { name: string; message: string } | undefined;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  mechanism: fc.constantFrom('irsa' as const, 'pod-identity' as const),
  claims: fc.record({
    iss: maybe(ISSUER, hostileText),
    sub: maybe(SUBJECT, hostileText),
    aud: fc.constant('sts.amazonaws.com'),
    namespace: maybe('payments', hostileText),
    serviceAccount: maybe('api', hostileText),
  }),
  env: fc.record({
    AWS_ROLE_ARN: maybe(ROLE_ARN, hostileText),
    AWS_REGION: maybe('us-west-2', hostileText),
    AWS_ROLE_SESSION_NAME: hostileText,
    AWS_ENDPOINT_URL_STS: fc.constantFrom(secretUrl('127.0.0.1:1'), `not a url ${secretUrl('h')}`, 'http://127.0.0.1:1'),
    AWS_CONTAINER_CREDENTIALS_FULL_URI: fc.constantFrom(secretUrl('127.0.0.1:2'), secretUrl('10.1.2.3'), `://${USERINFO_SECRET}@`),
    AWS_ENDPOINT_URL_S3: fc.constantFrom(secretUrl('127.0.0.1:3'), 'http://127.0.0.1:3'),
    AWS_ENDPOINT_URL: fc.constantFrom(secretUrl('127.0.0.1:4'), `x ${secretUrl('h')}`),
    AWS_STS_REGIONAL_ENDPOINTS: maybe('regional', hostileText),
    AWS_WEB_IDENTITY_TOKEN_FILE: maybe('/var/run/secrets/eks.amazonaws.com/serviceaccount/token', hostileText.map((t) => `/${t}`)),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: maybe('/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token', hostileText.map((t) => `/${t}`)),
    IRSA_PROBE_S3_BUCKET: fc.constantFrom('', 'probe-bucket'),
    IRSA_PROBE_AUDIENCE: maybe('sts.amazonaws.com', hostileText),
    IRSA_PROBE_NAMESPACE: maybe('payments', hostileText),
  }),
  stsError: fc.option(
    fc.tuple(fc.constantFrom('InvalidIdentityToken:No OpenIDConnect provider found', 'InvalidIdentityToken:Incorrect token audience', 'InvalidIdentityToken:thumbprint', 'AccessDenied:Not authorized', 'ValidationError:Request ARN is invalid', 'Weird:'), hostileText).map(([kind, text]) => {
      const [name = '', message = ''] = kind.split(':');
      return { name, message: `${message} ${text}\nsecond line ${text}` };
    }),
    { nil: undefined },
  ),
  chainArn: fc.constantFrom(ASSUMED_ARN, NODE_ROLE_ARN),
  s3Error: fc.option(
    fc.tuple(fc.constantFrom('NoSuchBucket', 'AccessDenied', 'SignatureDoesNotMatch', 'RequestTimeTooSkewed'), hostileText).map(([name, text]) => ({ name, message: `${name} ${text}` })),
    { nil: undefined },
  ),
});

/** An unsigned JWT with these claims (the probe decodes, STS verifies; here STS is faked). */
function tokenFor(c: Case['claims']): string {
  const nowS = Math.floor(Date.now() / 1000);
  const payload = { iss: c.iss, sub: c.sub, aud: c.aud, iat: nowS, nbf: nowS, exp: nowS + 3600, 'kubernetes.io': { namespace: c.namespace, serviceaccount: { name: c.serviceAccount } } };
  return unsignedToken(payload, { alg: 'RS256', kid: 'k' });
}

function awsError(e: { name: string; message: string }, status: number): Error {
  return Object.assign(new Error(e.message), { name: e.name, $metadata: { httpStatusCode: status } });
}

function envFor(c: Case): Record<string, string> {
  const { AWS_CONTAINER_CREDENTIALS_FULL_URI: agent = '', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: agentToken = '', ...rest } = c.env;
  const common = { ...rest, IRSA_PROBE_POD_NAME: 'api-0' };
  return c.mechanism === 'irsa'
    ? common
    : { ...common, AWS_ROLE_ARN: '', AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: agent, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: agentToken };
}

async function runCase(c: Case) {
  const logLines: string[] = [];
  const credentials = { accessKeyId: 'ASIAKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(Date.now() + 3600_000) };
  let config;
  try {
    config = configFrom(envFor(c), ['serve']);
  } catch (error) {
    // A refused setting (IRSA_PROBE_*) is a ConfigError on one line; there is no probe to run.
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!/[\n\r]/.test(error.message) && !error.message.includes(USERINFO_SECRET), error.message);
    return undefined;
  }
  const runtime = createServeState(config, {
    version: '0.0.0',
    log: createLogger('debug', (l) => logLines.push(l)),
    defaultMetrics: false,
    deps: {
      readTokenFile: async () => ({ text: tokenFor(c.claims), mtimeMs: Date.now() }),
      assumeRoleWithWebIdentity: async () => {
        if (c.stsError) throw awsError(c.stsError, 400);
        return credentials;
      },
      podIdentityCredentials: async () => {
        if (c.stsError) throw awsError(c.stsError, 400);
        return credentials;
      },
      getCallerIdentity: async () => ({ arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }),
      assumeRole: async () => { throw new Error('no role chain is configured'); },
      sharedFileKeys: async () => undefined,
      defaultChain: async () => ({ ...credentials, accessKeyId: c.chainArn === ASSUMED_ARN ? 'ASIAKEY' : 'ASIANODE' }),
      s3: async () => ({
        put: async () => {
          if (c.s3Error) throw awsError(c.s3Error, 403);
        },
        get: async () => new Uint8Array(),
        delete: async () => undefined,
      }),
    },
  });
  const report = await runtime.probe.run(new AbortController().signal);
  runtime.record(report);
  return { report, logLines, status: JSON.stringify(runtime.status()), metrics: await runtime.metrics.render() };
}

/** What a reader of the JSON report relies on in one check entry. */
function verdictOf(c: CheckResult) {
  return { name: c.name, status: c.status, reason: c.reason ?? null, message: c.message, findings: c.findings.map(({ check, severity, reason, cause, fix }) => ({ check, severity, reason, cause, fix })) };
}

function assertTextReport(report: Report): void {
  const text = renderText(report, { verbose: true });
  assert.ok(!UNPRINTABLE.test(text), `control or format character in the text report:\n${JSON.stringify(text)}`);
  const column0 = text.split('\n').filter((l) => l !== '' && !/^\s/.test(l));
  const checkLines = column0.filter((l) => CHECK_LINE.test(l));
  assert.equal(checkLines.length, report.checks.length, `expected one line per check:\n${text}`);
  for (const line of column0) {
    assert.ok(CHECK_LINE.test(line) || FINDING_HEADER.test(line) || line.startsWith('checks: ') || line.startsWith('irsa-probe check started '), `a line at column 0 that is no report entry: ${JSON.stringify(line)}`);
  }
}

/** What a claim may print as inside a command: itself when it has the shape, else (invalid value) or the placeholder. */
function assertArgument(argv: string[], flag: string, value: string, shape: RegExp, placeholder: string): void {
  const i = argv.indexOf(flag);
  if (i === -1) return;
  const printed = argv[i + 1];
  assert.equal(printed, shape.test(value) ? value : INVALID_VALUE, `${flag} printed as ${JSON.stringify(printed)} for ${JSON.stringify(value)} (placeholder ${placeholder})`);
}

function assertCommands(report: Report, c: Case): void {
  const fixes = report.checks.flatMap((c) => c.findings).map((f) => f.fix);
  for (const line of fixes.flatMap((fix) => fix.split('\n')).filter((l) => COMMAND.test(l))) {
    const words = parse(line.trim(), (name: string) => `<<unquoted $${name}>>`);
    for (const w of words) {
      assert.equal(typeof w, 'string', `${JSON.stringify(line)} parses to a shell operator, comment or glob: ${JSON.stringify(w)}`);
      assert.ok(!(w as string).includes('<<unquoted $'), `${JSON.stringify(line)} expands a variable`);
    }
    const argv = words as string[];
    if (argv.includes('list-pod-identity-associations')) {
      assertArgument(argv, '--namespace', c.claims.namespace, NAMESPACE_SHAPE, '<NAMESPACE>');
      assertArgument(argv, '--service-account', c.claims.serviceAccount, SERVICE_ACCOUNT_SHAPE, '<SERVICE_ACCOUNT>');
    }
    if (argv.includes('create-open-id-connect-provider')) assertArgument(argv, '--url', c.claims.iss, ISSUER_SHAPE, '<ISSUER_URL>');
  }
}

function assertNoUrlSecret(where: string, text: string): void {
  assert.ok(!text.includes(USERINFO_SECRET), `${where} shows a URL's password`);
  assert.ok(!text.includes(QUERY_SECRET), `${where} shows a URL's query secret`);
}

describe('hostile claims and environment values through every output', () => {
  test('text and JSON report, log, /status and /metrics stay well formed, quoted and free of URL secrets', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const outputs = await runCase(c);
        if (outputs === undefined) return;
        const { report, logLines, status, metrics } = outputs;
        assertTextReport(report);
        assertCommands(report, c);
        // The JSON report as `irsa-probe check --json` prints it (main.ts): every check's verdict,
        // message and findings come back unchanged (an Error, a Date or NaN in one would not).
        const json = JSON.stringify(report, null, 2);
        assert.deepEqual((JSON.parse(json) as Report).checks.map(verdictOf), report.checks.map(verdictOf));
        for (const line of logLines) {
          assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'a log record spans lines');
          JSON.parse(line);
        }
        JSON.parse(status);
        for (const line of metrics.split('\n').filter((l) => l !== '')) {
          assert.match(line, /^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+)$/, `metrics line ${JSON.stringify(line)}`);
        }
        for (const [where, text] of [['the text report', renderText(report)], ['the JSON report', json], ['the log', logLines.join('')], ['/status', status], ['/metrics', metrics]] as const) {
          assertNoUrlSecret(where, text);
        }
      }),
      { ...RUNS, includeErrorInReport: true },
    );
  });
});
