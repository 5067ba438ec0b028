/**
 * The safe small-file reader: regular files within the limit only, refused at
 * once (never blocking) for a FIFO, a directory or a device, refused without
 * reading it whole when too big. And the shared-AWS-file check built on it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsPromises, { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { checkSharedFiles } from '../../src/shared-profile.js';
import { checkSmallFile, readSmallFile, SmallFileError } from '../../src/small-file.js';
import type { AwsEnv } from '../../src/config.js';

/** A refusal is an fstat away; a blocked read would never return. */
const AT_ONCE_MS = 1_000;

let dir = '';
let fifo = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'irsa-small-file-'));
  fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
});
after(() => rm(dir, { recursive: true, force: true }));

async function refusal(path: string, maxBytes = 1024): Promise<{ error: SmallFileError; ms: number }> {
  const started = Date.now();
  const error = await readSmallFile(path, { maxBytes, what: `the test file ${path}` }).then(
    () => assert.fail(`${path} was read`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SmallFileError, `expected SmallFileError, got ${String(error)}`);
  return { error, ms: Date.now() - started };
}

describe('readSmallFile', () => {
  test('reads a regular file within the limit, the limit itself included', async () => {
    const path = join(dir, 'exact');
    await writeFile(path, 'x'.repeat(1024));
    const { text, mtimeMs } = await readSmallFile(path, { maxBytes: 1024, what: path });
    assert.equal(text, 'x'.repeat(1024));
    assert.ok(mtimeMs > 0);
  });

  for (const [name, path, code] of [
    ['a FIFO with no writer', () => fifo, 'not_regular'],
    ['a directory', () => dir, 'not_regular'],
    ['/dev/zero (endless)', () => '/dev/zero', 'not_regular'],
  ] as const) {
    test(`refuses ${name} at once, naming it`, async () => {
      const { error, ms } = await refusal(path());
      assert.equal(error.code, code);
      assert.match(error.message, new RegExp(`^the test file ${path().replace(/[/.]/g, '\\$&')} is not a regular file.*point it at a regular file`));
      assert.ok(ms < AT_ONCE_MS, `took ${ms} ms`);
    });
  }

  test('refuses a file one byte past the limit, saying the size and the limit', async () => {
    const path = join(dir, 'big');
    await writeFile(path, 'x'.repeat(1025));
    const { error } = await refusal(path);
    assert.equal(error.code, 'too_large');
    assert.match(error.message, /is 1025 bytes, .*limit 1024/);
  });

  test('a missing file rejects with the fs error (ENOENT), not SmallFileError', async () => {
    await assert.rejects(readSmallFile(join(dir, 'missing'), { maxBytes: 10, what: 'x' }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && !(e instanceof SmallFileError));
  });
});

describe('checkSmallFile', () => {
  test('passes a missing file and a small regular one, refuses a FIFO', async () => {
    await checkSmallFile(join(dir, 'missing'), { maxBytes: 10, what: 'x' });
    const path = join(dir, 'ok');
    await writeFile(path, 'ok');
    await checkSmallFile(path, { maxBytes: 10, what: 'x' });
    await assert.rejects(checkSmallFile(fifo, { maxBytes: 10, what: 'the fifo' }), (e) => e instanceof SmallFileError && e.code === 'not_regular');
  });
});

describe('checkSharedFiles (what the SDK would read)', () => {
  const aws = (over: Partial<AwsEnv>): AwsEnv => ({ sharedCredentialsFile: join(dir, 'none-credentials'), configFile: join(dir, 'none-config'), ...over }) as AwsEnv;

  test('passes absent files and small regular ones', async () => {
    await checkSharedFiles(aws({}));
    const config = join(dir, 'config');
    await writeFile(config, '[default]\nregion = us-west-2\n');
    await checkSharedFiles(aws({ configFile: config }));
  });

  test('refuses a FIFO as AWS_SHARED_CREDENTIALS_FILE and /dev/zero as AWS_CONFIG_FILE, naming the variable', async () => {
    await assert.rejects(checkSharedFiles(aws({ sharedCredentialsFile: fifo })), /^SmallFileError: AWS_SHARED_CREDENTIALS_FILE=".*fifo" is not a regular file/);
    await assert.rejects(checkSharedFiles(aws({ configFile: '/dev/zero' })), /^SmallFileError: AWS_CONFIG_FILE="\/dev\/zero" is not a regular file/);
  });

  test('refuses ~/.aws/credentials when it is a directory (the default path, HOME-relative as in the SDK)', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.aws', 'credentials'), { recursive: true });
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      await assert.rejects(checkSharedFiles(aws({ sharedCredentialsFile: undefined })), /the shared credentials file ".*home\/\.aws\/credentials" is not a regular file/);
    } finally {
      process.env.HOME = saved;
    }
  });
});

describe('an open that meets a kubelet ..data swap', () => {
  // The first open fails as a path walk through the old, just-removed directory does; the file is there.
  test('is tried once more: ENOENT once, then the file is read', async () => {
    const path = join(dir, 'swapped');
    await writeFile(path, 'token-text');
    const real = fsPromises.open;
    let opens = 0;
    const hook = mock.method(fsPromises, 'open', (...args: Parameters<typeof real>) => {
      opens += 1;
      if (opens === 1) return Promise.reject(Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' }));
      return real(...args);
    });
    syncBuiltinESMExports();
    try {
      assert.equal((await readSmallFile(path, { maxBytes: 1024, what: 'the token file' })).text, 'token-text');
      assert.equal(opens, 2);
    } finally {
      hook.mock.restore();
      syncBuiltinESMExports();
    }
  });

  test('a file that is really missing still fails with ENOENT', async () => {
    await assert.rejects(readSmallFile(join(dir, 'never-there'), { maxBytes: 1024, what: 'the token file' }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });
});
