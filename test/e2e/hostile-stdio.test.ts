/**
 * A hostile or absent reader of the probe's output: `check` into a pipe closed
 * at once, into /dev/full, into a file under a size limit, into a pipe nobody
 * reads; `serve` after its log pipe broke. `check` either writes its whole
 * report or exits 3 saying why on stderr, never a stack trace, never a hang;
 * `serve` keeps serving without its log. Against the sandbox, at the defaults.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { World } from '../../sandbox/world.js';
import { cleanEnv, MAIN, probeStderr } from '../helpers/process.js';
import { worldPerSuite } from '../helpers/world.js';
import { pollFor, withProbe } from './faults-harness.js';

const EXIT_OUTPUT = 3;
/** What check waits for a reader (src/stdio.ts), and the slack to see it exit after. */
const WRITE_DEADLINE_MS = 10_000;

interface Outcome {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly ms: number;
}

let runs = 0;

/** A FIFO with a reader that has not read yet, already full: what a stalled consumer looks like. */
function fullPipe(path: string): { reader: number; writer: number; filler: number; close(): void } {
  spawnSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const chunk = Buffer.alloc(4096, 'x');
  let filler = 0;
  for (;;) {
    try {
      filler += writeSync(writer, chunk);
    } catch {
      break; // EAGAIN: full
    }
  }
  return { reader, writer, filler, close: () => [writer, reader].forEach((fd) => closeSync(fd)) };
}

/** Everything readable now from a non-blocking descriptor. */
function drain(fd: number): Buffer {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(65_536);
  for (;;) {
    try {
      const n = readSync(fd, buf);
      if (n === 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
    } catch {
      break; // EAGAIN: empty for now
    }
  }
  return Buffer.concat(parts);
}

interface CheckOptions {
  /** Sees the child first, e.g. to close or stall its stdout pipe. */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** A shell command the check runs after, such as `ulimit -f 1` (Node cannot set a child's limits). */
  readonly shellFirst?: string;
}

/**
 * Runs `check --json` with stdout on a descriptor of the test's, or a pipe. Never
 * spawnSync: the sandbox answering the check lives in this process.
 */
async function check(world: World, stdout: 'pipe' | number, options: CheckOptions = {}): Promise<Outcome> {
  const started = Date.now();
  // A pod name of its own: checks side by side against one sandbox would share the S3 check's object.
  const env = cleanEnv({ ...world.env, IRSA_PROBE_POD_NAME: `stdio-${++runs}` });
  const argv = [MAIN, 'check', '--json'];
  const child = options.shellFirst === undefined
    ? spawn(process.execPath, argv, { env, stdio: ['ignore', stdout, 'pipe'] })
    : spawn('sh', ['-c', `${options.shellFirst} && exec "$0" "$@"`, process.execPath, ...argv], { env, stdio: ['ignore', stdout, 'pipe'] });
  options.onSpawn?.(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), WRITE_DEADLINE_MS + 20_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  clearTimeout(kill);
  return { code, signal, stderr: probeStderr(stderr), ms: Date.now() - started };
}

/** The one error line check writes when its report did not get out, parsed; fails on a stack trace. */
function reportLost(o: Outcome): { why: string; checksPassed: boolean } {
  assert.equal(o.signal, null, `check was killed (hung?): ${o.stderr}`);
  assert.equal(o.code, EXIT_OUTPUT, o.stderr);
  assert.doesNotMatch(o.stderr, /\n\s+at |Unhandled 'error' event/, 'a stack trace');
  const line = o.stderr.split('\n').find((l) => l.includes('the report could not be written'));
  assert.ok(line, o.stderr);
  return JSON.parse(line) as { why: string; checksPassed: boolean };
}

describe('check with a hostile stdout', { concurrency: true }, () => {
  let world: World;
  let dir: string;
  worldPerSuite((w) => (world = w));
  before(() => void (dir = mkdtempSync(join(tmpdir(), 'irsa-stdio-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a pipe closed before the report: exit 3, EPIPE, no stack trace', async () => {
    const o = await check(world, 'pipe', { onSpawn: (child) => child.stdout!.destroy() });
    const lost = reportLost(o);
    assert.equal(lost.why, 'EPIPE');
    assert.equal(lost.checksPassed, true);
  });

  test('/dev/full: exit 3, ENOSPC', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      assert.equal(reportLost(await check(world, fd)).why, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
  });

  test('a file under a size limit (ulimit -f 1): exit 3, EFBIG, instead of a cut report and exit 0', async () => {
    const file = join(dir, 'report.json');
    const fd = openSync(file, 'w');
    let lost;
    try {
      lost = reportLost(await check(world, fd, { shellFirst: 'ulimit -f 1' }));
    } finally {
      closeSync(fd);
    }
    assert.equal(lost.checksPassed, true);
    assert.equal(lost.why, 'EFBIG');
    const kept = readFileSync(file).length;
    assert.ok(kept > 0 && kept <= 1024, `${kept} bytes written under a 1-block limit`);
  });

  test('a pipe nobody reads, already full: exit 3 within the write deadline, not a hang', async () => {
    const pipe = fullPipe(join(dir, 'stuck'));
    try {
      const o = await check(world, pipe.writer);
      const lost = reportLost(o);
      assert.match(lost.why, /not read within 10s/);
      assert.ok(o.ms >= WRITE_DEADLINE_MS && o.ms <= WRITE_DEADLINE_MS + 15_000, `exited after ${o.ms} ms`);
    } finally {
      pipe.close();
    }
  });

  test('a full pipe whose reader wakes up after 2 s: the whole report arrives, exit 0', async () => {
    const pipe = fullPipe(join(dir, 'slow'));
    try {
      const got: Buffer[] = [];
      const reading = setTimeout(function read() {
        got.push(drain(pipe.reader));
        reading.refresh();
      }, 2_000);
      const o = await check(world, pipe.writer);
      clearTimeout(reading);
      got.push(drain(pipe.reader));
      assert.equal(o.code, 0, o.stderr);
      const out = Buffer.concat(got);
      assert.ok(out.length > pipe.filler, 'nothing after the filler');
      assert.equal((JSON.parse(out.subarray(pipe.filler).toString('utf8')) as { ok: boolean }).ok, true);
    } finally {
      pipe.close();
    }
  });
});

describe('serve after its log pipe broke', () => {
  test('keeps serving /readyz and /livez, logs nothing more, and SIGTERM ends it with 0', () =>
    withProbe({}, async ({ world, serve, obs }) => {
      await obs.until('ready', (s) => s.ready, 30_000);
      // The log reader goes away; the next log lines (a readiness change) meet a closed pipe.
      serve.child.stdout!.destroy();
      await world.setScenario('wrong-subject');
      await obs.until('/readyz 503 after the break', (s) => !s.ready, 30_000);
      await world.setScenario('healthy');
      await obs.until('/readyz 200 after the fix', (s) => s.ready, 30_000);
      await pollFor('still alive', async () => ((await serve.get('/livez')).status === 200 ? true : undefined), 5_000);
      assert.equal(serve.child.exitCode, null, `serve exited: ${serve.stderr.slice(-500)}`);
      const stopped = await serve.stop();
      assert.equal(stopped.code, 0, serve.stderr.slice(-500));
      assert.doesNotMatch(serve.stderr, /EPIPE|Unhandled 'error' event/);
    }));
});
