/**
 * The AWS CLI caches role credentials in ~/.aws/cli/cache for their lifetime.
 * A sandbox started later must accept the sessions an earlier one issued, or
 * the CLI answers InvalidClientTokenId. Runs the real `aws` CLI with the env
 * file's variables against two sandboxes in a row, sharing one HOME. Nothing
 * leaves loopback: every proxy variable points at a closed loopback port, so a
 * request to a real AWS endpoint fails instead of leaving the machine.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startWorld } from '../../sandbox/world.js';

const run = promisify(execFile);
const GUARD = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };

/** AWS_ENDPOINT_URL_STS is honoured from botocore 1.31 (CLI v1) and CLI v2.13 on; older CLIs would call AWS itself. */
async function awsCli(): Promise<string> {
  let version: string;
  try {
    const out = await run('aws', ['--version'], { timeout: 30_000 });
    version = `${out.stdout}${out.stderr}`.trim();
  } catch (error) {
    throw new Error(`the aws CLI is not installed (${(error as Error).message}): install an AWS CLI that honours AWS_ENDPOINT_URL_STS (v1 with botocore >= 1.31, or v2 >= 2.13)`);
  }
  const v1 = /aws-cli\/1\.\S+ .*botocore\/1\.(\d+)\./.exec(version);
  const v2 = /aws-cli\/2\.(\d+)\./.exec(version);
  const ok = (v1 !== null && Number(v1[1]) >= 31) || (v2 !== null && Number(v2[1]) >= 13);
  if (!ok) throw new Error(`${version} does not honour AWS_ENDPOINT_URL_STS: install an AWS CLI v1 with botocore >= 1.31 or v2 >= 2.13`);
  return version;
}

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'irsa-cli-home-'));
});
after(() => rm(home, { recursive: true, force: true }));

test('aws sts get-caller-identity with the env file works against a second sandbox, from the CLI cache the first one filled', async () => {
  await awsCli();
  const identities: string[] = [];
  for (const round of [1, 2]) {
    const world = await startWorld();
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...world.env, ...GUARD };
      const out = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env, timeout: 60_000 }).catch((error: { stderr?: string; message: string }) => {
        throw new Error(`round ${round}: aws sts get-caller-identity failed: ${error.stderr ?? error.message}`);
      });
      const identity = JSON.parse(out.stdout) as { Arn: string; Account: string };
      assert.match(identity.Arn, /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\//);
      identities.push(identity.Arn);
      const sts = world.stats().sts;
      assert.equal(sts.GetCallerIdentity?.requests, 1);
      assert.equal(sts.GetCallerIdentity?.errors, 0);
      // Round 1 assumes the role and fills the cache; round 2 uses the cached session.
      assert.equal(sts.AssumeRoleWithWebIdentity?.requests ?? 0, round === 1 ? 1 : 0, `round ${round}: ${JSON.stringify(sts)}`);
      assert.ok((await readdir(join(home, '.aws', 'cli', 'cache'))).length >= 1, 'the CLI cached the role credentials');
    } finally {
      await world.stop();
    }
  }
  assert.equal(identities[1], identities[0], 'the second sandbox saw the session the first one issued');
});
