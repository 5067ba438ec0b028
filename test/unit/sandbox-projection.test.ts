import assert from 'node:assert/strict';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { atomicWrite, DATA_LINK, Projection, refreshAt, ROTATE_AT, timestampedDirName } from '../../sandbox/projection.js';
import { readTokenFile } from '../../src/token-file.js';
import { tempDir } from './fixtures.js';

const TS_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/;

async function waitUntil(predicate: () => boolean | Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('kubelet-style token projection', () => {
  const dir = tempDir('sandbox-projection-');

  test('timestamped directory names look like kubelet\'s (..YYYY_MM_DD_HH_MM_SS.<9 digits>, UTC)', () => {
    const name = timestampedDirName(new Date(Date.UTC(2026, 10, 28, 13, 0, 0)));
    assert.match(name, TS_DIR);
    assert.ok(name.startsWith('..2026_11_28_13_00_00.'), name);
  });

  test('writes the payload in a timestamped dir, ..data points at it, token points at ..data/token', async () => {
    const volume = join(dir(), 'layout');
    await atomicWrite(volume, { token: 'first' });
    const entries = (await readdir(volume)).sort();
    assert.equal(entries.length, 3, entries.join(' '));
    const tsDir = entries.find((e) => TS_DIR.test(e));
    assert.ok(tsDir, entries.join(' '));
    assert.equal(await readlink(join(volume, DATA_LINK)), tsDir);
    assert.equal(await readlink(join(volume, 'token')), join(DATA_LINK, 'token'));
    assert.ok((await lstat(join(volume, 'token'))).isSymbolicLink());
    assert.equal(await readFile(join(volume, 'token'), 'utf8'), 'first');
  });

  test('a rewrite swaps ..data to a new directory and removes the old one', async () => {
    const volume = join(dir(), 'swap');
    await atomicWrite(volume, { token: 'one' });
    const first = await readlink(join(volume, DATA_LINK));
    await atomicWrite(volume, { token: 'two' });
    const second = await readlink(join(volume, DATA_LINK));
    assert.notEqual(first, second);
    const entries = await readdir(volume);
    assert.ok(!entries.includes(first), `old ${first} still there: ${entries.join(' ')}`);
    assert.ok(!entries.includes('..data_tmp'));
    assert.equal(await readFile(join(volume, 'token'), 'utf8'), 'two');
  });

  // Read as the probe reads it (src/token-file.ts): a path walk can meet the old directory just as it is removed,
  // which the probe's reader tries once more; a raw readFile would see ENOENT there, as against kubelet.
  test('the probe\'s reader never sees a missing, empty or mixed file while the token is rewritten', async () => {
    const volume = join(dir(), 'race');
    const payload = (i: number): string => `token-${i}-`.padEnd(4096, String(i % 10));
    await atomicWrite(volume, { token: payload(0) });
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      let reads = 0;
      while (writing || reads < 50) {
        const { text } = await readTokenFile(join(volume, 'token'));
        assert.match(text, /^token-(\d+)-/);
        const i = Number(/^token-(\d+)-/.exec(text)![1]);
        assert.equal(text, payload(i), 'a torn read');
        seen.add(text.slice(0, 12));
        reads += 1;
      }
    })();
    for (let i = 1; i <= 60; i++) await atomicWrite(volume, { token: payload(i) });
    writing = false;
    await reader;
    assert.ok(seen.size > 1, 'the reader saw the token change');
  });

  test(`rotates at ${ROTATE_AT * 100}% of the token's life counted from its iat, and not before`, async () => {
    const volume = join(dir(), 'rotation');
    const lifetimeSeconds = 1;
    const issued: number[] = [];
    const writes: number[] = [];
    const projection = new Projection({
      volumeDir: volume,
      fileName: 'token',
      produce: async () => {
        const iat = Date.now() / 1000;
        issued.push(iat);
        return { content: `t${issued.length}`, refreshAtMs: refreshAt(iat, lifetimeSeconds) };
      },
      onWrite: () => writes.push(Date.now()),
    });
    projection.setRotation(true);
    try {
      await projection.refresh();
      await waitUntil(() => writes.length >= 3, 10_000, 'two rotations');
    } finally {
      projection.stop();
    }
    for (let i = 1; i < 3; i++) {
      const age = issued[i]! * 1000 - issued[i - 1]! * 1000;
      assert.ok(age >= lifetimeSeconds * 1000 * ROTATE_AT - 5, `rotated a token ${age} ms old, before 80% of its life`);
      assert.ok(age < lifetimeSeconds * 1000, `rotated a token ${age} ms old, after it expired`);
    }
  });

  test('refreshAt is 80% of the life after iat', () => {
    assert.equal(refreshAt(1000, 86_400), (1000 + 69_120) * 1000);
  });

  test('stopped rotation writes nothing more', async () => {
    const volume = join(dir(), 'stopped');
    let writes = 0;
    const projection = new Projection({ volumeDir: volume, fileName: 'token', produce: async () => ({ content: 'x', refreshAtMs: Date.now() + 160 }), onWrite: () => (writes += 1) });
    projection.setRotation(true);
    await projection.refresh();
    projection.setRotation(false);
    const after = writes;
    await new Promise((r) => setTimeout(r, 600));
    projection.stop();
    assert.equal(writes, after);
  });
});
