/** ChainProvider's token-file pinning: the same rules as every other small file the probe reads (src/small-file.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChainProvider } from '../../src/chain-provider.js';
import { SmallFileError } from '../../src/small-file.js';
import { MAX_TOKEN_BYTES } from '../../src/token-file.js';

describe('ChainProvider token files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'irsa-chain-provider-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const resolveWith = async (options: { webIdentityTokenFile?: string; containerAuthorizationTokenFile?: string }) => {
    const provider = new ChainProvider({ region: 'us-west-2', timeoutMs: 1000, ...options });
    // Without the refusal the SDK chain would run: the abort ends it, and the assertion below names what happened.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('the SDK chain ran')), 500);
    try {
      return { error: await provider.resolve(controller.signal).then(() => undefined, (e: unknown) => e), provider };
    } finally {
      clearTimeout(timer);
    }
  };

  for (const which of ['webIdentityTokenFile', 'containerAuthorizationTokenFile'] as const) {
    test(`${which} larger than a token can be: refused (too_large) before the SDK chain is created`, async () => {
      const path = join(dir, `${which}-huge`);
      await writeFile(path, 'x'.repeat(MAX_TOKEN_BYTES + 1));
      const { error, provider } = await resolveWith({ [which]: path });
      assert.ok(error instanceof SmallFileError && error.code === 'too_large', `expected SmallFileError(too_large), got ${String(error)}`);
      assert.match(error.message, /^the token file ".*huge" is \d+ bytes/);
      assert.equal((provider as unknown as { provider?: unknown }).provider, undefined, 'the SDK chain was created');
    });
  }

  test('a directory in place of the token file: refused (not_regular), naming it', async () => {
    const { error } = await resolveWith({ webIdentityTokenFile: dir });
    assert.ok(error instanceof SmallFileError && error.code === 'not_regular', `expected SmallFileError(not_regular), got ${String(error)}`);
    assert.match(error.message, /is not a regular file/);
  });
});
