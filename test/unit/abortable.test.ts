/** abortable(): a call given up on never leaves a rejection unhandled (Node.js ends the process on one). */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { abortable } from '../../src/chain-provider.js';

/** Work that fails when the test says so. */
function work(): { promise: Promise<never>; fail: (error: Error) => void } {
  let fail!: (error: Error) => void;
  const promise = new Promise<never>((_resolve, reject) => (fail = reject));
  return { promise, fail };
}

/**
 * Runs `body` and returns every rejection that went unhandled in it. Node
 * reports an unhandled rejection once the microtasks after it have run, within
 * the same turn of the event loop: one setImmediate later, all are in.
 */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    await nextTurn();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return unhandled;
}

test('work started before an already-aborted signal is seen: its later rejection is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    const { promise, fail } = work();
    await assert.rejects(abortable(promise, controller.signal), /stopping/);
    fail(new Error('Could not load credentials from any providers'));
  });
  assert.deepEqual(unhandled, []);
});

test('aborted while the work runs: rejects with the reason, and the late rejection is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const controller = new AbortController();
    const { promise, fail } = work();
    const pending = abortable(promise, controller.signal);
    controller.abort(new Error('timed out'));
    await assert.rejects(pending, /timed out/);
    fail(new Error('late'));
  });
  assert.deepEqual(unhandled, []);
});
