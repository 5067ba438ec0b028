/**
 * The safe small-file reader: regular files within the limit only, refused at
 * once (never blocking) for a FIFO, a directory or a device, refused without
 * reading it whole when too big. And the shared-AWS-file check built on it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsPromises, { mkdir, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, mock, test } from 'node:test';
import { checkSharedFiles } from '../../src/shared-profile.js';
import { checkSmallFile, readSmallFile, SmallFileError } from '../../src/small-file.js';
import type { AwsEnv } from '../../src/config.js';
import { tempDir } from './fixtures.js';

/** A refusal is an fstat away; a read blocked on a FIFO or /dev/zero never returns, and this fails it. */
const AT_ONCE = { timeout: 5_000 };

const dir = tempDir('irsa-small-file-', (made) => execFileSync('mkfifo', [join(made, 'fifo')]));
const fifo = () => join(dir(), 'fifo');

async function refusal(path: string, maxBytes = 1024): Promise<SmallFileError> {
  const error = await readSmallFile(path, { maxBytes, what: `the test file ${path}` }).then(
    () => assert.fail(`${path} was read`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SmallFileError, `expected SmallFileError, got ${String(error)}`);
  return error;
}

describe('readSmallFile', () => {
  test('reads a regular file within the limit, the limit itself included', async () => {
    const path = join(dir(), 'exact');
    await writeFile(path, 'x'.repeat(1024));
    const { text, mtimeMs } = await readSmallFile(path, { maxBytes: 1024, what: path });
    assert.equal(text, 'x'.repeat(1024));
    assert.ok(mtimeMs > 0);
  });

  for (const [name, path, code] of [
    ['a FIFO with no writer', fifo, 'not_regular'],
    ['a directory', dir, 'not_regular'],
    ['/dev/zero (endless)', () => '/dev/zero', 'not_regular'],
  ] as const) {
    test(`refuses ${name} at once, naming it`, AT_ONCE, async () => {
      const error = await refusal(path());
      assert.equal(error.code, code);
      assert.match(error.message, new RegExp(`^the test file ${path().replace(/[/.]/g, '\\$&')} is not a regular file.*point it at a regular file`));
    });
  }

  test('refuses a file one byte past the limit, saying the size and the limit', async () => {
    const path = join(dir(), 'big');
    await writeFile(path, 'x'.repeat(1025));
    const error = await refusal(path);
    assert.equal(error.code, 'too_large');
    assert.match(error.message, /is 1025 bytes, .*limit 1024/);
  });

  test('a missing file rejects with the fs error (ENOENT), not SmallFileError', async () => {
    await assert.rejects(readSmallFile(join(dir(), 'missing'), { maxBytes: 10, what: 'x' }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && !(e instanceof SmallFileError));
  });
});

describe('checkSmallFile', () => {
  test('passes a missing file and a small regular one, refuses a FIFO', AT_ONCE, async () => {
    await checkSmallFile(join(dir(), 'missing'), { maxBytes: 10, what: 'x' });
    const path = join(dir(), 'ok');
    await writeFile(path, 'ok');
    await checkSmallFile(path, { maxBytes: 10, what: 'x' });
    await assert.rejects(checkSmallFile(fifo(), { maxBytes: 10, what: 'the fifo' }), (e) => e instanceof SmallFileError && e.code === 'not_regular');
  });
});

describe('checkSharedFiles (what the SDK would read)', () => {
  const aws = (over: Partial<AwsEnv>): AwsEnv => ({ sharedCredentialsFile: join(dir(), 'none-credentials'), configFile: join(dir(), 'none-config'), ...over }) as AwsEnv;

  test('passes absent files and small regular ones', async () => {
    await checkSharedFiles(aws({}));
    const config = join(dir(), 'config');
    await writeFile(config, '[default]\nregion = us-west-2\n');
    await checkSharedFiles(aws({ configFile: config }));
  });

  test('refuses a FIFO as AWS_SHARED_CREDENTIALS_FILE and /dev/zero as AWS_CONFIG_FILE, naming the variable', AT_ONCE, async () => {
    await assert.rejects(checkSharedFiles(aws({ sharedCredentialsFile: fifo() })), /^SmallFileError: AWS_SHARED_CREDENTIALS_FILE=".*fifo" is not a regular file/);
    await assert.rejects(checkSharedFiles(aws({ configFile: '/dev/zero' })), /^SmallFileError: AWS_CONFIG_FILE="\/dev\/zero" is not a regular file/);
  });

  test('refuses ~/.aws/credentials when it is a directory (the default path, HOME-relative as in the SDK)', async () => {
    const home = join(dir(), 'home');
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
  /** Runs body with fs/promises' open counted (and its first call failing with ENOENT when `failFirst`); returns the count. */
  async function countingOpens(path: string, failFirst: boolean, body: () => Promise<void>): Promise<number> {
    const real = fsPromises.open;
    let opens = 0;
    const hook = mock.method(fsPromises, 'open', (...args: Parameters<typeof real>) => {
      opens += 1;
      if (failFirst && opens === 1) return Promise.reject(Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' }));
      return real(...args);
    });
    syncBuiltinESMExports();
    try {
      await body();
    } finally {
      hook.mock.restore();
      syncBuiltinESMExports();
    }
    return opens;
  }

  // The first open fails as a path walk through the old, just-removed directory does; the file is there.
  test('is tried once more: ENOENT once, then the file is read', async () => {
    const path = join(dir(), 'swapped');
    await writeFile(path, 'token-text');
    const opens = await countingOpens(path, true, async () => {
      assert.equal((await readSmallFile(path, { maxBytes: 1024, what: 'the token file' })).text, 'token-text');
    });
    assert.equal(opens, 2);
  });

  test('a file that is really missing is tried twice, then fails with ENOENT', async () => {
    const path = join(dir(), 'never-there');
    const opens = await countingOpens(path, false, async () => {
      await assert.rejects(readSmallFile(path, { maxBytes: 1024, what: 'the token file' }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && !(e instanceof SmallFileError));
    });
    assert.equal(opens, 2);
  });
});
