/**
 * Files that block when read must not jam the probe. A plain read of a FIFO
 * holds one of libuv's four thread-pool threads until a writer comes; once
 * four are held no file read in the process runs, and exit waits for them.
 * Real FIFOs, the shipped bundle, the sandbox world on loopback:
 *
 * - the kubeconfig's tokenFile, and KUBECONFIG itself, a FIFO: the Kubernetes
 *   view (advisory) skips naming the file, /readyz stays 200 cycle after cycle,
 *   `check` exits, SIGTERM ends `serve` within 3 s;
 * - AWS_SHARED_CREDENTIALS_FILE a FIFO: the env check fails naming it (the
 *   application's SDK would hang on it), `check` exits 1, `serve` stops on SIGTERM;
 * - a read stuck in the thread pool at exit (a library's plain read of a
 *   FIFO): the process still ends, and keeps its exit code when nothing is stuck.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import type { Report } from '../../src/types.js';
import { runCli, runNode, ServeProcess } from '../helpers/process.js';
import { sampleValue } from '../helpers/prom.js';
import { FAST, Observer, pollFor, probeArgs } from './faults-harness.js';

/** SIGTERM to exit, even with reads stuck: the brief's bound (the graceful path takes well under it). */
const STOP_WITHIN_MS = 3_000;
/** `check` finishes one cycle (5 s per-check timeout at most) and exits; a jammed one never does. */
const CHECK_WITHIN_MS = 20_000;
/** More cycles than libuv has thread-pool threads (4): on a jammed probe the fifth finds none free. */
const CYCLES = 6;

let dir = '';
let fifo = '';
let world: World;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'irsa-hostile-files-'));
  fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  world = await startWorld();
});
after(async () => {
  await world.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The pod's kubeconfig with its bearer token replaced by `tokenFile: <path>`. */
async function kubeconfigWithTokenFile(path: string): Promise<string> {
  const text = await readFile(world.kubeconfig, 'utf8');
  assert.match(text, /^\s+token: /m, 'the sandbox kubeconfig has no token line to replace');
  const out = join(dir, `kubeconfig-${Date.now()}`);
  await writeFile(out, text.replace(/^(\s+)token: .*$/m, `$1tokenFile: ${path}`));
  return out;
}

/** Runs `serve` until CYCLES cycles have finished, then SIGTERM; returns the last report, /readyz then, and the stop. */
async function serveThroughCycles(env: Record<string, string>, readyz: number): Promise<{ report: Report; readyz: number; stop: { code: number | null; ms: number } }> {
  const probe = await ServeProcess.start(env, probeArgs({ ...FAST, intervalMs: 1_000 }));
  try {
    await probe.waitFor('/readyz', (r) => r.status === readyz, 20_000);
    await pollFor(`${CYCLES} cycles (a jammed probe never gets there)`, async () => ((sampleValue((await probe.get('/metrics')).body, 'irsa_probe_cycles_total') ?? 0) >= CYCLES ? true : undefined), 40_000, 200);
    const report = (await new Observer(probe).sample()).status.lastReport;
    assert.ok(report, 'no report yet');
    const status = (await probe.get('/readyz')).status;
    return { report, readyz: status, stop: await probe.stop() };
  } finally {
    await probe.stop();
  }
}

function check(report: Report, name: string) {
  const c = report.checks.find((r) => r.name === name);
  assert.ok(c, `no ${name} check in the report`);
  return c;
}

describe('a FIFO where the Kubernetes view reads a file', () => {
  test('the kubeconfig tokenFile: the view skips naming it, /readyz stays 200 cycle after cycle, SIGTERM ends serve', async () => {
    const kubeconfig = await kubeconfigWithTokenFile(fifo);
    const { report, readyz, stop } = await serveThroughCycles({ ...world.env, KUBECONFIG: kubeconfig }, 200);
    assert.equal(readyz, 200, 'the advisory Kubernetes view took the pod out of service');
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    const k8s = check(report, 'k8s');
    assert.equal(k8s.status, 'skip');
    assert.match(k8s.message, /Kubernetes view off: the Kubernetes token file .*fifo is not a regular file/);
    assert.equal(check(report, 'env').status, 'pass', 'file reads elsewhere in the process stopped');
    assert.equal(stop.code, 0);
    assert.ok(stop.ms < STOP_WITHIN_MS, `serve took ${stop.ms} ms to exit after SIGTERM`);
  });

  test('KUBECONFIG itself: check prints its report and exits 0, the view skipped naming the file', async () => {
    const started = Date.now();
    const r = await runCli(['check', '--json'], { ...world.env, KUBECONFIG: fifo }, CHECK_WITHIN_MS);
    const ms = Date.now() - started;
    assert.ok(ms < CHECK_WITHIN_MS, `check did not exit within ${CHECK_WITHIN_MS} ms`);
    assert.equal(r.code, 0, r.stderr);
    const k8s = check(JSON.parse(r.stdout) as Report, 'k8s');
    assert.equal(k8s.status, 'skip');
    assert.match(k8s.message, /KUBECONFIG=.*fifo is not a regular file/);
  });
});

describe('a FIFO as AWS_SHARED_CREDENTIALS_FILE', () => {
  test('check fails the env check naming the variable, and exits 1', async () => {
    const started = Date.now();
    const r = await runCli(['check', '--json'], { ...world.env, AWS_SHARED_CREDENTIALS_FILE: fifo }, CHECK_WITHIN_MS);
    assert.ok(Date.now() - started < CHECK_WITHIN_MS, `check did not exit within ${CHECK_WITHIN_MS} ms`);
    assert.equal(r.code, 1, r.stderr);
    const env = check(JSON.parse(r.stdout) as Report, 'env');
    assert.equal(env.status, 'fail');
    assert.equal(env.reason, 'env_invalid');
    assert.match(env.message, /AWS_SHARED_CREDENTIALS_FILE=".*fifo" is not a regular file/);
  });

  test('serve keeps cycling (not ready, with that cause) and SIGTERM ends it within 3 s', async () => {
    const { report, readyz, stop } = await serveThroughCycles({ ...world.env, AWS_SHARED_CREDENTIALS_FILE: fifo }, 503);
    assert.equal(readyz, 503);
    assert.equal(check(report, 'env').reason, 'env_invalid');
    assert.notEqual(check(report, 'env').reason, 'timeout');
    assert.ok(stop.ms < STOP_WITHIN_MS, `serve took ${stop.ms} ms to exit after SIGTERM`);
  });
});

describe('a read stuck in the thread pool at exit', () => {
  const MAIN_MODULE = fileURLToPath(new URL('../../src/main.js', import.meta.url));
  /** A library's plain read of a FIFO (four of them: every pool thread), then the probe's exit path. */
  const child = (stuck: boolean) => `
    import { readFile } from 'node:fs/promises';
    const { exitProcess } = await import(${JSON.stringify(MAIN_MODULE)});
    if (${stuck}) for (let i = 0; i < 4; i++) readFile(${JSON.stringify(fifo)}).catch(() => undefined);
    setTimeout(() => exitProcess(1, (m) => process.stderr.write(m + '\\n')), 100);
  `;

  /** Node.js's own env, as a library's caller has. */
  const run = (stuck: boolean) => runNode(['--input-type=module', '-e', child(stuck)], process.env, 10_000);

  test('the process ends within 2 s, saying why', async () => {
    const r = await run(true);
    assert.ok(r.ms < 2_000, `the process took ${r.ms} ms to end (process.exit waits for the stuck threads)`);
    assert.equal(r.signal, 'SIGKILL');
    assert.match(r.stderr, /a file read is still blocked/);
  });

  test('with nothing stuck, the exit keeps its code', async () => {
    const r = await run(false);
    assert.equal(r.signal, null);
    assert.equal(r.code, 1, r.stderr);
  });
});
