/**
 * The CI soak: test/soak/soak.ts with 1,000 cycles, enough for every fault
 * phase to run once between healthy phases (the full soak is 20,000, in
 * `npm run reliability`), run as its own process so it can expose the GC.
 * Memory, file descriptors, timers and active handles must not grow, the
 * event-loop delay p99 stays under the bound in test/soak/soak.ts, and cycles
 * never overlap. Results: .tmp/reliability/soak-1000.json.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runNode } from '../helpers/process.js';

const SOAK = fileURLToPath(new URL('../soak/soak.js', import.meta.url));
const CYCLES = 1_000;
const DEADLINE_MS = 150_000;

interface SoakOutput {
  ok: boolean;
  problems: string[];
  summary: { cycles: number; overlaps: number; faultPhasesRun: string[]; eventLoopDelayMs: { p99: number }; fds: { warm: number; end: number }; timers: { warm: number; end: number } };
}

test(`a ${CYCLES}-cycle soak with faults switched on and off keeps memory, fds, timers and event-loop delay bounded`, async () => {
  // Without the runner's marker: the soak runs as a program, not as a test file.
  const { NODE_TEST_CONTEXT: _runner, ...env } = process.env;
  const { code, stdout, stderr } = await runNode(['--expose-gc', SOAK, '--cycles', String(CYCLES), '--json'], env, DEADLINE_MS);
  const line = stdout.trim().split('\n').pop() ?? '';
  let out: SoakOutput;
  try {
    out = JSON.parse(line) as SoakOutput;
  } catch {
    assert.fail(`the soak printed no result (exit ${code}): ${stdout.slice(-500)} ${stderr.slice(-1_000)}`);
  }
  // A bound, not a count: cycles still in flight when the target is reached may
  // finish while the scheduler stops, and how many depends on timing alone.
  // What must hold is that the target was reached and no two cycles overlapped.
  assert.ok(out.summary.cycles >= CYCLES, `ran ${out.summary.cycles} cycles, expected at least ${CYCLES}`);
  assert.equal(out.summary.overlaps, 0, 'cycles overlapped');
  assert.ok(out.summary.faultPhasesRun.length >= 9, `only these faults ran: ${out.summary.faultPhasesRun.join(', ')}`);
  assert.deepEqual(out.problems, [], out.problems.join('\n'));
  assert.equal(code, 0);
  assert.ok(out.ok);
});
