/**
 * Shutdown during an in-flight cycle, end to end: SIGTERM (or SIGINT) while an
 * STS call hangs, while an S3 PutObject hangs, and while the scheduler sleeps
 * between cycles. The probe exits 0 within 2 s through its graceful path, and
 * leaves nothing behind: no process, no listener, no open connection to the
 * emulators, no extra object in the bucket.
 * Measurements go to .tmp/reliability/faults-shutdown.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import { ServeProcess } from '../helpers/process.js';
import { HttpTap, Observer, pollFor, Results, type EventRow } from './faults-harness.js';

const EXIT_WITHIN_MS = 2_000;
const results = new Results<EventRow>('faults-shutdown');

/** Pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when something accepts a TCP connection at url's port. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('shutdown during an in-flight cycle', () => {
  let world: World;
  let stsTap: HttpTap;
  let s3Tap: HttpTap;

  before(async () => {
    world = await startWorld();
    stsTap = await HttpTap.start(world.stsUrl);
    s3Tap = await HttpTap.start(world.s3Url);
  });
  after(async () => {
    await stsTap?.close();
    await s3Tap?.close();
    await world?.stop();
  });

  const cases: ReadonlyArray<{ event: string; signal: NodeJS.Signals; arm: () => void; inFlight: () => boolean }> = [
    { event: 'SIGTERM while an STS call hangs', signal: 'SIGTERM', arm: () => (stsTap.hang = true), inFlight: () => stsTap.pending > 0 },
    { event: 'SIGINT while an STS call hangs', signal: 'SIGINT', arm: () => (stsTap.hang = true), inFlight: () => stsTap.pending > 0 },
    { event: 'SIGTERM while an S3 PutObject hangs', signal: 'SIGTERM', arm: () => (s3Tap.hang = true), inFlight: () => s3Tap.exchanges.some((e) => e.action === 'PutObject' && e.outcome === undefined) },
    { event: 'SIGTERM while the scheduler sleeps between cycles', signal: 'SIGTERM', arm: () => undefined, inFlight: () => stsTap.pending === 0 && s3Tap.pending === 0 },
  ];

  for (const c of cases) {
    test(`${c.event}: exits 0 within ${EXIT_WITHIN_MS} ms and leaves nothing behind`, async () => {
      stsTap.hang = false;
      s3Tap.hang = false;
      // The default timeout (5 s) keeps a hung call in flight when the signal arrives, well past EXIT_WITHIN_MS;
      // an interval of 3 s keeps the idle probe asleep.
      const serve = await ServeProcess.start({ ...world.env, AWS_ENDPOINT_URL_STS: stsTap.url, AWS_ENDPOINT_URL_S3: s3Tap.url }, ['--interval', '3s']);
      try {
        const obs = new Observer(serve);
        await obs.until('a first passing cycle', (s) => s.status.lastReport?.ok === true, 30_000);
        // The next cycle (within one interval) runs into the armed fault.
        c.arm();
        await pollFor(`${c.event}: the call in flight`, () => (c.inFlight() ? true : undefined), 20_000);
        const children = childrenOf(serve.child.pid!);
        const stopped = await serve.stop(c.signal);
        results.add({ group: 'shutdown', event: c.event, outcome: `exit code ${stopped.code}${/"msg":"stopped"/.test(serve.stdout) ? ', graceful ("stopped" logged)' : ''}`, ms: stopped.ms });
        assert.equal(stopped.code, 0, `exit code ${stopped.code}; stderr: ${serve.stderr.slice(-500)}`);
        assert.ok(stopped.ms <= EXIT_WITHIN_MS, `took ${stopped.ms} ms to exit`);
        assert.match(serve.stdout, /"msg":"stopped"/, 'the graceful path did not finish (no "stopped" log line)');
        assert.doesNotMatch(serve.stdout, /shutdown took too long/);
        assert.equal(await accepts(serve.url), false, 'the port still accepts connections');
        assert.deepEqual(children.filter(alive), [], 'child processes outlived the probe');
        await pollFor('the probe connections to the emulators to close', () => (stsTap.openConnections === 0 && s3Tap.openConnections === 0 && stsTap.pending === 0 && s3Tap.pending === 0 ? true : undefined), 2_000);
        const s3 = world.stats().s3;
        const left = (s3.PutObject?.requests ?? 0) - (s3.PutObject?.errors ?? 0) - ((s3.DeleteObject?.requests ?? 0) - (s3.DeleteObject?.errors ?? 0));
        assert.ok(left <= 1, `${left} puts were never deleted`);
      } finally {
        stsTap.hang = false;
        s3Tap.hang = false;
        await serve.stop('SIGKILL');
      }
    });
  }
});
