/**
 * The sandbox's STS AssumeRole (the second hop of a role chain) as the real
 * AWS CLI and the SDK see it: the CLI assumes the pod's role with its web
 * identity token, then `aws sts assume-role` with those credentials into the
 * second account's role; trust policies are evaluated with `AWS` principals
 * and sts:ExternalId, and replaced through the admin API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startWorld, type World } from '../../sandbox/world.js';
import { awsCliMissing, PROXY_TRAP } from '../helpers/aws-cli.js';

/** The AWS CLI on PATH (scripts/install-tools.sh awscli); every call names the sandbox's endpoint. */
const AWS = 'aws';
const REGION = 'us-west-2';
const TARGET = 'arn:aws:iam::444455556666:role/irsa-probe-target';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Keys {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
}

describe('sandbox STS AssumeRole with the real AWS CLI', () => {
  let world: World;
  let home: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'aws-cli-home-'));
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** The CLI with nothing from this machine: no profile, no IMDS, no way off loopback, keys only when given. */
  function aws(args: string[], keys?: Keys): Promise<CliResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      AWS_DEFAULT_REGION: REGION,
      ...PROXY_TRAP,
      ...(keys ? { AWS_ACCESS_KEY_ID: keys.AccessKeyId, AWS_SECRET_ACCESS_KEY: keys.SecretAccessKey, AWS_SESSION_TOKEN: keys.SessionToken } : {}),
    };
    return new Promise((resolve, reject) => {
      execFile(AWS, [...args, '--endpoint-url', world.stsUrl, '--output', 'json'], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error?.code === 'ENOENT') reject(awsCliMissing());
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** The pod's role credentials, as the CLI gets them from the web identity token file. */
  async function podKeys(): Promise<Keys> {
    const r = await aws(['sts', 'assume-role-with-web-identity', '--no-sign-request', '--role-arn', world.roleArn, '--role-session-name', 'cli-pod', '--web-identity-token', `file://${world.tokenFile}`]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { Credentials: Keys }).Credentials;
  }

  function assumeTarget(keys: Keys, extra: string[] = []): Promise<CliResult> {
    return aws(['sts', 'assume-role', '--role-arn', TARGET, '--role-session-name', 'cli-chain', '--duration-seconds', '900', ...extra], keys);
  }

  async function setTrust(policy: unknown): Promise<{ status: number; body: { error?: string } }> {
    const res = await fetch(`${world.adminUrl}/trust-policy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: TARGET, policy }) });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  }

  test('aws sts assume-role with the web-identity credentials becomes assumed-role/irsa-probe-target in 444455556666, for 900 s', async () => {
    const keys = await podKeys();
    const started = Date.now();
    const r = await assumeTarget(keys);
    const took = (Date.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Credentials: Keys & { Expiration: string }; AssumedRoleUser: { Arn: string; AssumedRoleId: string } };
    assert.equal(out.AssumedRoleUser.Arn, 'arn:aws:sts::444455556666:assumed-role/irsa-probe-target/cli-chain');
    assert.match(out.AssumedRoleUser.AssumedRoleId, /^AROA[A-Z2-7]{17}:cli-chain$/);
    // 900 s from when STS answered, cut to whole seconds: STS answered within the CLI call, so the expiry is at
    // least 899 s after the call started and at most 900 s after it ended, however long the CLI took.
    const lifetime = (Date.parse(out.Credentials.Expiration) - started) / 1000;
    assert.ok(lifetime >= 899 && lifetime <= 900 + took, `lifetime ${lifetime}s (the call took ${took}s)`);
    // The chained credentials are SigV4-accepted as the target role.
    const who = await aws(['sts', 'get-caller-identity'], out.Credentials);
    assert.equal(who.code, 0, who.stderr);
    const identity = JSON.parse(who.stdout) as { Account: string; Arn: string };
    assert.deepEqual([identity.Account, identity.Arn], ['444455556666', 'arn:aws:sts::444455556666:assumed-role/irsa-probe-target/cli-chain']);
  });

  test('unsigned or forged AssumeRole is refused like AWS refuses it', async () => {
    const unsigned = await aws(['sts', 'assume-role', '--no-sign-request', '--role-arn', TARGET, '--role-session-name', 'x1']);
    assert.notEqual(unsigned.code, 0);
    assert.match(unsigned.stderr, /MissingAuthenticationToken/);
    const keys = await podKeys();
    const forged = await assumeTarget({ ...keys, SecretAccessKey: `${keys.SecretAccessKey.slice(0, -4)}AAAA` });
    assert.notEqual(forged.code, 0);
    assert.match(forged.stderr, /SignatureDoesNotMatch/);
  });

  test('target-denied: the trust policy names another role, AssumeRole answers AccessDenied naming caller and target', async () => {
    await world.setScenario('target-denied');
    try {
      const r = await assumeTarget(await podKeys());
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /AccessDenied/);
      assert.ok(r.stderr.includes(`User: arn:aws:sts::111122223333:assumed-role/irsa-probe-demo/cli-pod is not authorized to perform: sts:AssumeRole on resource: ${TARGET}`), r.stderr);
    } finally {
      await world.setScenario('healthy');
    }
  });

  test('an sts:ExternalId condition applied through the admin API: absent or wrong is denied, right passes, malformed is a ValidationError', async () => {
    const applied = await setTrust({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: world.roleArn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'team-a:42' } } }] });
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    try {
      const keys = await podKeys();
      assert.match((await assumeTarget(keys)).stderr, /AccessDenied/);
      assert.match((await assumeTarget(keys, ['--external-id', 'team-b:42'])).stderr, /AccessDenied/);
      const right = await assumeTarget(keys, ['--external-id', 'team-a:42']);
      assert.equal(right.code, 0, right.stderr);
      const malformed = await assumeTarget(keys, ['--external-id', 'has space']);
      assert.match(malformed.stderr, /ValidationError.*externalId/);
    } finally {
      await world.setScenario('healthy');
    }
  });

  test('a duration above the role maximum is a ValidationError', async () => {
    const keys = await podKeys();
    const r = await aws(['sts', 'assume-role', '--role-arn', TARGET, '--role-session-name', 'long', '--duration-seconds', '7200'], keys);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ValidationError.*DurationSeconds exceeds the MaxSessionDuration/);
  });

  test('the admin API refuses a malformed policy and an unknown role, and a scenario switch restores the scenario policy', async () => {
    const noPrincipal = await setTrust({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] });
    assert.equal(noPrincipal.status, 400);
    assert.match(noPrincipal.body.error ?? '', /MalformedPolicyDocument: Statement\[0\]\.Principal must be/);
    const unknown = await fetch(`${world.adminUrl}/trust-policy?role=${encodeURIComponent('arn:aws:iam::444455556666:role/nope')}`);
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: string }).error, /known roles: .*irsa-probe-target/);
    const deny = await setTrust({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/somebody-else' }, Action: 'sts:AssumeRole' }] });
    assert.equal(deny.status, 200);
    const got = await fetch(`${world.adminUrl}/trust-policy?role=${encodeURIComponent(TARGET)}`);
    assert.deepEqual(((await got.json()) as { policy: { Statement: Array<{ Principal: unknown }> } }).policy.Statement[0]!.Principal, { AWS: 'arn:aws:iam::111122223333:role/somebody-else' });
    await world.setScenario('healthy');
    assert.equal((await assumeTarget(await podKeys())).code, 0);
  });

  test('the SDK (the probe client) gets the same answer: AssumeRole signed with the pod credentials', async () => {
    const keys = await podKeys();
    const sts = new STSClient({ region: REGION, endpoint: world.stsUrl, maxAttempts: 1, credentials: { accessKeyId: keys.AccessKeyId, secretAccessKey: keys.SecretAccessKey, sessionToken: keys.SessionToken } });
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: TARGET, RoleSessionName: 'sdk-chain', DurationSeconds: 900 }));
    assert.equal(out.AssumedRoleUser?.Arn, 'arn:aws:sts::444455556666:assumed-role/irsa-probe-target/sdk-chain');
    await world.setScenario('target-denied');
    try {
      await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: TARGET, RoleSessionName: 'sdk-chain', DurationSeconds: 900 })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'AccessDenied' && e.$metadata?.httpStatusCode === 403);
    } finally {
      await world.setScenario('healthy');
    }
  });
});
