/** abortable(): a call given up on never leaves a rejection unhandled (Node.js ends the process on one). */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { abortable } from '../../src/chain-provider.js';

/** Runs `body`, then waits `settleMs` for late rejections, and returns every one that went unhandled. */
async function unhandledDuring(body: () => Promise<void>, settleMs: number): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    await sleep(settleMs);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return unhandled;
}

test('work started before an already-aborted signal is seen: its later rejection is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    const work = sleep(10).then(() => Promise.reject(new Error('Could not load credentials from any providers')));
    await assert.rejects(abortable(work, controller.signal), /stopping/);
  }, 50);
  assert.deepEqual(unhandled, []);
});

test('aborted while the work runs: rejects with the reason, and the late rejection is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const controller = new AbortController();
    const work = sleep(30).then(() => Promise.reject(new Error('late')));
    const pending = abortable(work, controller.signal);
    controller.abort(new Error('timed out'));
    await assert.rejects(pending, /timed out/);
  }, 60);
  assert.deepEqual(unhandled, []);
});
