/**
 * Probe green, application red: real clients other than the probe, run the way
 * an application container would run them (its environment is the sandbox's
 * env file and nothing else), and what the probe says about them.
 *
 * - The AWS CLI (botocore) picks up web identity from the env file alone.
 * - Static keys in AWS_SHARED_CREDENTIALS_FILE win over web identity for the
 *   JavaScript SDK's default chain (and for any client told to use that
 *   profile), not for botocore's own chain; under EKS Pod Identity they win
 *   for botocore too. The probe's env warning says exactly that, and its chain
 *   check sees the JavaScript client's identity.
 *
 * Needs `aws` on PATH: scripts/install-tools.sh awscli.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import type { Report } from '../../src/types.js';
import { awsCliMissing, PROXY_TRAP } from '../helpers/aws-cli.js';
import { runCli } from '../helpers/process.js';

const run = promisify(execFile);
const WHOAMI = fileURLToPath(new URL('../../sandbox/whoami.js', import.meta.url));
const ROLE = /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/.+$/;
const STATIC_WARNING = /static keys \(aws_access_key_id\) for profile "default"/;

/**
 * A fresh container: PATH, an empty HOME (the CLI caches credentials under
 * ~/.aws/cli/cache), and a proxy trap on a closed loopback port, so a client
 * that ignored AWS_ENDPOINT_URL_STS would fail here instead of reaching AWS.
 * Everything else comes from the env file, loaded by a shell as a user would.
 */
async function podShell(world: World, command: string[]): Promise<{ stdout: string; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'app-home-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...PROXY_TRAP };
  try {
    return await run('sh', ['-c', 'set -a; . "$0"; set +a; exec "$@"', world.envFile, ...command], { env, timeout: 60_000 });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** `aws sts get-caller-identity` as the application container would run it; fails loudly without the CLI. */
async function awsIdentity(world: World, extra: string[] = []): Promise<string> {
  const out = await podShell(world, ['aws', ...extra, 'sts', 'get-caller-identity', '--output', 'json']).catch((e: Error & { stderr?: string; code?: unknown }) => {
    if (/aws: not found|No such file/.test(e.stderr ?? '') || e.code === 127) throw awsCliMissing();
    if (/proxy/i.test(e.stderr ?? '')) throw new Error(`this aws ignores AWS_ENDPOINT_URL_STS (it tried to leave loopback and hit the proxy trap); the test needs AWS CLI v1 >= 1.29 or v2 >= 2.13 first on PATH: ${e.stderr}`);
    throw new Error(`aws sts get-caller-identity failed: ${e.stderr ?? e.message}`);
  });
  return (JSON.parse(out.stdout) as { Arn: string }).Arn;
}

/** The JavaScript SDK v3's default chain (fromNodeProviderChain) + GetCallerIdentity. */
async function jsIdentity(world: World): Promise<string> {
  const out = await podShell(world, [process.execPath, WHOAMI, '--provider', 'chain']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const line = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { arn?: string; error?: string; message?: string };
  return line.arn ?? `${line.error}: ${line.message}`;
}

async function probeReport(world: World): Promise<Report> {
  const r = await runCli(['check', '--json'], { ...world.env }, 60_000);
  return JSON.parse(r.stdout) as Report;
}

const staticKeys = (world: World) => `[default]\naws_access_key_id = ${world.staticUser.accessKeyId}\naws_secret_access_key = ${world.staticUser.secretAccessKey}\n`;

describe('the application\'s own SDK against the sandbox', () => {
  let irsa: World;
  let podIdentity: World;
  before(async () => {
    irsa = await startWorld({ scenario: 'healthy' });
    podIdentity = await startWorld({ scenario: 'pod-identity' });
  });
  after(async () => {
    await irsa?.stop();
    await podIdentity?.stop();
  });

  test('the AWS CLI (botocore) acts as the pod\'s role from the env file alone, through AssumeRoleWithWebIdentity', async () => {
    irsa.resetStats();
    assert.match(await awsIdentity(irsa), ROLE);
    const stats = irsa.stats();
    assert.equal(stats.sts.AssumeRoleWithWebIdentity?.requests, 1);
    assert.equal(stats.sts.GetCallerIdentity?.requests, 1);
  });

  describe('IRSA, with static keys in AWS_SHARED_CREDENTIALS_FILE', () => {
    before(() => writeFile(irsa.env.AWS_SHARED_CREDENTIALS_FILE!, staticKeys(irsa)));
    after(() => writeFile(irsa.env.AWS_SHARED_CREDENTIALS_FILE!, ''));

    test('the JavaScript SDK\'s default chain uses the keys: the application is the IAM user, not the role', async () => {
      assert.equal(await jsIdentity(irsa), irsa.staticUser.arn);
    });

    test('a client told to use that profile (aws --profile default) is the IAM user too', async () => {
      assert.equal(await awsIdentity(irsa, ['--profile', 'default']), irsa.staticUser.arn);
    });

    test('botocore\'s own chain tries web identity first: the AWS CLI is still the role', async () => {
      assert.match(await awsIdentity(irsa), ROLE);
    });

    test('the probe agrees: its env warning names the SDKs the keys beat, and its chain check sees the JavaScript client\'s identity', async () => {
      const report = await probeReport(irsa);
      const env = report.checks.find((c) => c.name === 'env')!;
      assert.equal(env.status, 'pass');
      const warning = env.findings.find((f) => f.severity === 'warning' && STATIC_WARNING.test(f.cause));
      assert.ok(warning, JSON.stringify(env.findings));
      assert.match(warning.cause, /JavaScript \(v2, v3\) and Rust SDKs read this profile before web identity/);
      assert.match(warning.cause, /the AWS CLI \(botocore\), Java, Go and PHP SDKs try web identity first/);
      assert.match(warning.fix, /#probe-green-application-red/);
      assert.equal(report.checks.find((c) => c.name === 'sts')?.status, 'pass', 'the role itself works');
      const chain = report.checks.find((c) => c.name === 'chain')!;
      assert.equal(chain.reason, 'role_mismatch');
      assert.ok(chain.message.includes(irsa.staticUser.arn), chain.message);
      assert.ok(!JSON.stringify(report).includes(irsa.staticUser.secretAccessKey), 'the secret key is never reported');
    });
  });

  describe('EKS Pod Identity, with static keys in AWS_SHARED_CREDENTIALS_FILE', () => {
    before(() => writeFile(podIdentity.env.AWS_SHARED_CREDENTIALS_FILE!, staticKeys(podIdentity)));
    after(() => writeFile(podIdentity.env.AWS_SHARED_CREDENTIALS_FILE!, ''));

    test('the keys win for the AWS CLI as well, and the probe\'s warning says every SDK chain reads them first', async () => {
      assert.equal(await awsIdentity(podIdentity), podIdentity.staticUser.arn);
      assert.equal(await jsIdentity(podIdentity), podIdentity.staticUser.arn);
      const env = (await probeReport(podIdentity)).checks.find((c) => c.name === 'env')!;
      const warning = env.findings.find((f) => f.severity === 'warning' && STATIC_WARNING.test(f.cause));
      assert.match(warning?.cause ?? JSON.stringify(env.findings), /SDK default chains read this profile before container credentials \(EKS Pod Identity\)/);
    });
  });
});
