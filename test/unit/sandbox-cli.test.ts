import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parseCli, parseSeconds, UsageError } from '../../sandbox/cli.js';
import { envFor, renderEnv, type EnvFacts } from '../../sandbox/env-file.js';
import { envKindOf, SCENARIOS } from '../../sandbox/scenarios.js';

describe('sandbox command line', () => {
  test('defaults to the healthy scenario', () => {
    assert.deepEqual(parseCli([]), { scenario: 'healthy' });
  });

  test('reads every flag, resolving paths', () => {
    assert.deepEqual(parseCli(['--scenario', 'wrong-subject', '--env-file', 'x.env', '--token-lifetime', '30s', '--credentials-duration', '15m', '--dir', 'd', '--throttle-share', '0.25']), {
      scenario: 'wrong-subject',
      envFile: resolve('x.env'),
      dir: resolve('d'),
      tokenLifetimeSeconds: 30,
      credentialsDurationSeconds: 900,
      throttleShare: 0.25,
    });
  });

  test('a leading -- (which shields --env-file from Node) is ignored, and --env-out is the same flag', () => {
    assert.deepEqual(parseCli(['--', '--env-file', 'a.env']), { scenario: 'healthy', envFile: resolve('a.env') });
    assert.deepEqual(parseCli(['--env-out', 'a.env']), { scenario: 'healthy', envFile: resolve('a.env') });
  });

  const bad: Array<[string[], RegExp]> = [
    [['--scenario', 'broken'], /--scenario="broken" is invalid: expected one of healthy, /],
    [['--token-lifetime', 'soon'], /--token-lifetime="soon" is invalid: expected a duration/],
    [['--token-lifetime', '0s'], /--token-lifetime="0s" is invalid/],
    [['--throttle-share', '2'], /--throttle-share="2" is invalid: expected a number from 0 to 1/],
    [['--colour'], /Unknown option '--colour'/],
    [['stray'], /stray/],
    [['--env-file', 'a', '--env-out', 'b'], /name different files/],
  ];
  for (const [args, message] of bad) {
    test(`refuses ${args.join(' ')} with one line`, () => {
      assert.throws(() => parseCli(args), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));
    });
  }

  test('durations take s, m, h and d', () => {
    assert.deepEqual(['45', '45s', '2m', '1h', '1d'].map((v) => parseSeconds('--x', v)), [45, 45, 120, 3600, 86400]);
  });
});

describe('env file', () => {
  const facts: EnvFacts = {
    kind: 'irsa',
    roleArn: 'arn:aws:iam::111122223333:role/irsa-probe-demo',
    region: 'us-west-2',
    irsaTokenFile: '/t/eks.amazonaws.com/serviceaccount/token',
    podIdentityTokenFile: '/t/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    podIdentityUrl: 'http://127.0.0.1:1/v1/credentials',
    stsUrl: 'http://127.0.0.1:2',
    s3Url: 'http://127.0.0.1:3',
    imdsUrl: 'http://127.0.0.1:4',
    awsConfigFile: '/t/aws/config',
    awsCredentialsFile: '/t/aws/credentials',
    bucket: 'irsa-probe-demo',
    podName: 'demo-pod-0',
    namespace: 'default',
    kubeconfig: '/t/kube/kubeconfig',
  };
  const COMMON = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL_S3', 'AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION', 'IRSA_PROBE_S3_BUCKET', 'IRSA_PROBE_POD_NAME', 'IRSA_PROBE_NAMESPACE', 'KUBECONFIG'];
  const identity: Record<string, { has: string[]; lacks: string[] }> = {
    irsa: { has: ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'], lacks: ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'IRSA_PROBE_EXPECTED_ROLE_ARN'] },
    'pod-identity': { has: ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'IRSA_PROBE_EXPECTED_ROLE_ARN'], lacks: ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'] },
    'not-injected': { has: ['IRSA_PROBE_EXPECTED_ROLE_ARN'], lacks: ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'] },
  };
  for (const [kind, { has, lacks }] of Object.entries(identity)) {
    test(`${kind}: carries ${has.join(', ')} and the common settings, not ${lacks.join(', ')}`, () => {
      const env = envFor({ ...facts, kind: kind as EnvFacts['kind'] });
      for (const key of [...has, ...COMMON]) assert.ok(env[key], key);
      for (const key of lacks) assert.equal(env[key], undefined, key);
      assert.equal(env.AWS_REQUEST_CHECKSUM_CALCULATION, 'WHEN_REQUIRED');
    });
  }

  test('every scenario maps to one of the three env kinds; only not-injected and the Pod Identity ones leave IRSA', () => {
    const kinds = SCENARIOS.map(envKindOf);
    assert.deepEqual(SCENARIOS.filter((s) => envKindOf(s) !== 'irsa'), ['not-injected', 'pod-identity', 'pod-identity-unassociated', 'pod-identity-agent-down']);
    assert.deepEqual(SCENARIOS.filter((s) => envKindOf(s) === 'pod-identity'), ['pod-identity', 'pod-identity-unassociated', 'pod-identity-agent-down']);
    assert.ok(kinds.every((k) => k in identity));
  });

  test('renders KEY=VALUE lines, quoting only values a shell would split', () => {
    const text = renderEnv({ A: '/plain/path:1', B: 'has space', C: "it's" });
    assert.ok(text.includes('\nA=/plain/path:1\n'));
    assert.ok(text.includes("\nB='has space'\n"));
    assert.ok(text.includes("\nC='it'\\''s'\n"));
  });
});
