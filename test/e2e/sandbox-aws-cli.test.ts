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
import { PROXY_TRAP, requireAwsCli } from '../helpers/aws-cli.js';

const run = promisify(execFile);

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'irsa-cli-home-'));
});
after(() => rm(home, { recursive: true, force: true }));

test('aws sts get-caller-identity with the env file works against a second sandbox, from the CLI cache the first one filled', async () => {
  await requireAwsCli();
  const identities: string[] = [];
  for (const round of [1, 2]) {
    const world = await startWorld();
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...world.env, ...PROXY_TRAP };
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
