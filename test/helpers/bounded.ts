/** Small shared test utilities: bounded calls and TCP probes. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Runs fn and returns what it returned or threw, asserting it finished within budgetMs. */
export function timed<T>(fn: () => T, budgetMs: number): { value?: T; error?: unknown } {
  const started = performance.now();
  let outcome: { value?: T; error?: unknown };
  try {
    outcome = { value: fn() };
  } catch (error) {
    outcome = { error };
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < budgetMs, `took ${elapsed.toFixed(0)} ms (budget ${budgetMs} ms)`);
  return outcome;
}

/** The error code of a fresh TCP connection to the URL's port, or 'connected'. */
export function connectError(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
