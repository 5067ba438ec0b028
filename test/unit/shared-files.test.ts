/** The shared AWS files, looked at once per cycle: the env check's refusal, its warnings (whatever the mechanism), and the files' real names. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { envCheck } from '../../src/checks/env.js';
import type { AwsEnv } from '../../src/config.js';
import { inspectSharedFiles } from '../../src/shared-profile.js';
import { contextFor, irsaEnv } from '../helpers/probe.js';

const KEYS = '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n';
const UNMUTATED = { AWS_REGION: 'us-west-2', IRSA_PROBE_POD_NAME: 'api-0' };

describe('shared AWS files', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'irsa-shared-files-'));
    await writeFile(file('keys'), KEYS);
    execFileSync('mkfifo', [file('fifo')]);
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const shared = (credentials: string) => ({ AWS_SHARED_CREDENTIALS_FILE: file(credentials), AWS_CONFIG_FILE: file('absent') });

  test('mechanism none: the env check fails and still reports its warnings (AWS_PROFILE, static keys in a shared file)', async () => {
    const v = await envCheck(contextFor({ ...UNMUTATED, ...shared('keys'), AWS_PROFILE: 'default' }));
    assert.equal(v.status, 'fail');
    assert.equal(v.reason, 'env_missing');
    const warnings = (v.findings ?? []).filter((f) => f.severity === 'warning').map((f) => f.cause);
    assert.ok(warnings.some((c) => /^AWS_PROFILE is set/.test(c)), JSON.stringify(v.findings));
    assert.ok(warnings.some((c) => /static keys \(aws_access_key_id\) for profile "default" in ".*keys": .*before the node role/.test(c)), JSON.stringify(v.findings));
  });

  test('mechanism none, half-set IRSA variables: the warnings come with the failure too', async () => {
    const v = await envCheck(contextFor({ ...UNMUTATED, AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/x', AWS_PROFILE: 'dev' }));
    assert.equal(v.status, 'fail');
    assert.ok(v.findings?.some((f) => f.severity === 'warning' && /^AWS_PROFILE is set/.test(f.cause)), JSON.stringify(v.findings));
  });

  test('one look answers both questions: the problem for a FIFO, else the keys, never a rejection', async () => {
    const fifo = await inspectSharedFiles({ sharedCredentialsFile: file('fifo'), configFile: file('absent') } as AwsEnv);
    assert.ok(fifo !== undefined && 'problem' in fifo, JSON.stringify(fifo));
    assert.match(fifo.problem, /^AWS_SHARED_CREDENTIALS_FILE=".*fifo" is not a regular file/);
    assert.deepEqual(await inspectSharedFiles({ sharedCredentialsFile: file('keys'), configFile: file('absent') } as AwsEnv), { profile: 'default', file: file('keys') });
    assert.equal(await inspectSharedFiles({ sharedCredentialsFile: file('absent'), configFile: file('absent') } as AwsEnv), undefined);
  });

  test('the env check refuses a FIFO at a shared file path, naming it', async () => {
    const v = await envCheck(contextFor(irsaEnv('/var/run/secrets/eks.amazonaws.com/serviceaccount/token', shared('fifo'))));
    assert.equal(v.reason, 'env_invalid');
    assert.match(v.message, /^AWS_SHARED_CREDENTIALS_FILE=".*fifo" is not a regular file/);
  });

  test('keys in the default file are reported at the path the SDK reads, not a literal ~/.aws/credentials', async () => {
    const home = file('home');
    await mkdir(join(home, '.aws'), { recursive: true });
    await writeFile(join(home, '.aws', 'config'), '[profile ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      assert.deepEqual(await inspectSharedFiles({ profile: 'ci' } as AwsEnv), { profile: 'ci', file: join(home, '.aws', 'config') });
    } finally {
      process.env.HOME = saved;
    }
  });
});
