/** abortable(): a call given up on never leaves a rejection unhandled (Node.js ends the process on one). */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { abortable } from '../../src/chain-provider.js';

test('work started before an already-aborted signal is seen: its later rejection is handled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    const work = sleep(10).then(() => Promise.reject(new Error('Could not load credentials from any providers')));
    await assert.rejects(abortable(work, controller.signal), /stopping/);
    await sleep(50);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('aborted while the work runs: rejects with the reason, and the late rejection is handled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const controller = new AbortController();
    const work = sleep(30).then(() => Promise.reject(new Error('late')));
    const pending = abortable(work, controller.signal);
    controller.abort(new Error('timed out'));
    await assert.rejects(pending, /timed out/);
    await sleep(60);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
