/**
 * Token-file faults, end to end: a real `serve` process against the sandbox
 * STS, reading a projected-volume directory this test owns (TokenDir: kubelet's
 * `..data` atomic swap), filled with tokens from the sandbox issuer. The file
 * is deleted, emptied, replaced by garbage, given a future `iat`, expired,
 * made huge, swapped continuously mid-read (atomically, as kubelet does, and
 * in place, as kubelet never does), and replaced by a FIFO.
 * Measurements go to .tmp/reliability/faults-token.json.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { appendFile, mkdtemp, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Report } from '../../src/types.js';
import { TokenDir } from '../helpers/tokens.js';
import { assertSurvived, FAST, JITTER, measureFault, pollFor, recoveryBound, Results, SLACK_MS, summarise, withProbe, type Probed } from './faults-harness.js';

const TIMING = FAST;
const results = new Results('faults-token');

/**
 * The token check reads the file, then the chain check's SDK reads it again on its own.
 * A change that lands between the two reads fails chain (chain_error) in a cycle whose
 * token check passed: at most the cycles in which the file changed. Every other failed
 * cycle must be the token check's own failure, with an expected reason and nothing else failing.
 */
function assertTokenFailures(fault: string, reports: readonly Report[], expected: readonly string[]): void {
  const failed = reports.filter((r) => !r.ok);
  assert.ok(failed.length > 0, `${fault}: no failed cycle was seen`);
  let raced = 0;
  for (const r of failed) {
    const fails = r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}:${c.reason ?? '?'}`);
    const tokenPassed = r.checks.find((c) => c.name === 'token')?.status === 'pass';
    if (tokenPassed && fails.length === 1 && fails[0] === 'chain:chain_error') raced++;
    else assert.ok(fails.length === 1 && expected.includes(fails[0]!), `${fault}: a cycle failed with ${fails.join(', ')}, expected only ${expected.join(' or ')} (or chain:chain_error in a cycle whose token check passed)`);
  }
  // The file changes twice (the fault, then the restore); only the first can land between the two reads of a passing cycle.
  assert.ok(raced <= 2, `${fault}: ${raced} cycles failed chain while the token check passed`);
  assert.ok(raced < failed.length, `${fault}: no cycle failed the token check`);
}

interface TokenProbe extends Probed {
  readonly tokens: TokenDir;
  /** A fresh token from the sandbox issuer. */
  fresh(): Promise<string>;
  /** Puts a fresh token back. */
  restore(): Promise<void>;
}

/** A probe of its own reading a projected-volume directory of its own. */
async function withTokenProbe(body: (t: TokenProbe) => Promise<void>): Promise<void> {
  const tokens = await TokenDir.create();
  try {
    await withProbe(
      {
        env: async (p) => {
          await tokens.write(await p.world.mintToken());
          return { ...p.world.env, AWS_WEB_IDENTITY_TOKEN_FILE: tokens.path, IRSA_PROBE_S3_BUCKET: '' };
        },
      },
      (p) => {
        const fresh = () => p.world.mintToken();
        return body(Object.assign(p, { tokens, fresh, restore: async () => tokens.write(await fresh()) }));
      },
    );
  } finally {
    await tokens.remove();
  }
}

describe('token file faults against a running probe', { concurrency: true }, () => {
  const nowS = () => Math.floor(Date.now() / 1000);
  const faults: ReadonlyArray<{ fault: string; on: (t: TokenProbe) => Promise<void>; reasons: string[] }> = [
    { fault: 'token file deleted', on: ({ tokens }) => rm(join(tokens.dir, '..data'), { force: true }), reasons: ['token:token_missing'] },
    { fault: 'token file emptied', on: ({ tokens }) => tokens.write(''), reasons: ['token:token_malformed'] },
    { fault: 'token file replaced by garbage', on: ({ tokens }) => tokens.write('this is not a JWT\n'), reasons: ['token:token_malformed'] },
    { fault: 'token issued in the future (iat +1 h)', on: async ({ tokens, world }) => tokens.write(await world.mintToken({ issuedAt: nowS() + 3600 })), reasons: ['token:token_malformed'] },
    { fault: 'token expired (kubelet stopped rotating)', on: async ({ tokens, world }) => tokens.write(await world.mintToken({ issuedAt: nowS() - 7200, lifetimeSeconds: 3600 })), reasons: ['token:token_expired'] },
    { fault: 'token file of 10 MB', on: ({ tokens }) => tokens.write('a'.repeat(10 * 1024 * 1024)), reasons: ['token:token_malformed'] },
  ];

  for (const f of faults) {
    test(`survives: ${f.fault}`, () =>
      withTokenProbe(async (t) => {
        const from = Date.now();
        const m = results.add(await measureFault(t.obs, TIMING, { group: 'token', fault: f.fault, apply: () => f.on(t), clear: t.restore }));
        assertSurvived(m, [...f.reasons, 'chain:chain_error'], recoveryBound(TIMING));
        assertTokenFailures(f.fault, t.obs.reportsIn(from), f.reasons);
        assert.ok(f.reasons.every((r) => m.reasons.includes(r)), `${f.fault}: reported ${m.reasons.join(', ')}, expected ${f.reasons.join(', ')}`);
      }));
  }

  test('a token swapped atomically (kubelet ..data rename) every few ms never fails a cycle', () =>
    withTokenProbe(async ({ obs, tokens, fresh }) => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const pool = await Promise.all(Array.from({ length: 16 }, () => fresh()));
      const t0 = Date.now();
      let swaps = 0;
      let stop = false;
      const storm = (async () => {
        while (!stop) {
          await tokens.write(pool[swaps % pool.length]!);
          swaps += 1;
        }
      })();
      // At least 3 s, 100 swaps and four cycles that started during the storm, however long the machine takes.
      const from = obs.samples.length;
      await obs.watch(3_000);
      await obs.until('100 swaps and four cycles during the storm', () => swaps >= 100 && obs.reportsIn(t0).filter((r) => Date.parse(r.startedAt) >= t0).length >= 4, 60_000);
      stop = true;
      await storm;
      const seen = obs.samples.slice(from);
      const t1 = Date.now();
      const m = results.add({ ...summarise(obs, TIMING, { group: 'token', fault: `token swapped atomically ${swaps} times in ${((t1 - t0) / 1000).toFixed(1)} s`, notes: 'kubelet AtomicWriter: new ..<timestamp> dir, ..data symlink renamed over' }, { t0, t1 }) });
      assert.ok(swaps >= 100, `only ${swaps} swaps`);
      assert.ok(m.cyclesDuringFault >= 4, `only ${m.cyclesDuringFault} cycles`);
      assert.equal(m.failedCycles, 0, `failed cycles during atomic swaps: ${m.reasons.join(', ')}`);
      assert.ok(seen.every((s) => s.ready), 'readiness dropped during atomic swaps');
    }));

  test('a token rewritten in place (truncate, then two writes) fails at worst as token_malformed, and recovers', () =>
    withTokenProbe(async ({ obs, tokens, fresh }) => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const file = await realpath(tokens.path);
      const pool = await Promise.all(Array.from({ length: 8 }, () => fresh()));
      const t0 = Date.now();
      let rewrites = 0;
      const storm = (async () => {
        while (Date.now() - t0 < 3_000) {
          const token = pool[rewrites % pool.length]!;
          await writeFile(file, '');
          await appendFile(file, token.slice(0, 300));
          await appendFile(file, token.slice(300));
          rewrites += 1;
        }
      })();
      await obs.watch(3_000);
      await storm;
      const t1 = Date.now();
      const up = await obs.until('/readyz 200 after the in-place rewrites', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const flip = obs.samplesIn(t0, t1).find((s) => !s.ready);
      const m = results.add(summarise(obs, TIMING, { group: 'token', fault: `token rewritten in place ${rewrites} times in 3 s`, notes: 'not what kubelet does: readers may see an empty or half-written file' }, { t0, t1, up, ...(flip ? { flip } : {}) }));
      // A read that ends inside the signature decodes as a JWT (the probe cannot check a signature without the
      // provider's keys), so the token check passes and STS refuses it: sts:token_malformed, named as such.
      const allowed = new Set(['token:token_malformed', 'sts:token_malformed', 'sts:oidc_key_unavailable', 'sts:sts_unavailable']);
      assert.ok(m.reasons.every((r) => allowed.has(r)), m.reasons.join(', '));
      assert.ok(m.maxCycleMs <= TIMING.timeoutMs + 1_000);
      assert.equal(m.overlaps, 0);
      assert.equal(m.livezNon200, 0);
      assert.ok(m.recoverMs! <= recoveryBound(TIMING), `recovery took ${m.recoverMs} ms`);
    }));

  test('a FIFO in place of the token fails the check within its timeout, the probe recovers, and SIGTERM still exits', () =>
    withTokenProbe(async ({ serve, obs, tokens, restore }) => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const fifoDir = await mkdtemp(join(tmpdir(), 'irsa-fifo-'));
      const fifo = join(fifoDir, 'token');
      execFileSync('mkfifo', [fifo]);
      const release = () => {
        // Readers blocked in open(2) on the FIFO hold libuv pool threads until a writer opens it.
        for (let i = 0; i < 10; i++) {
          try {
            closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
          } catch {
            return;
          }
        }
      };
      try {
        const t0 = Date.now();
        await symlink(fifoDir, join(tokens.dir, '..fifo_tmp'));
        await rename(join(tokens.dir, '..fifo_tmp'), join(tokens.dir, '..data'));
        // More failed cycles than libuv has pool threads (4).
        await pollFor('six failed cycles with the FIFO in place', async () => {
          await obs.sample();
          return obs.reportsIn(t0).filter((r) => !r.ok).length >= 6 ? true : undefined;
        }, 6 * (TIMING.timeoutMs + TIMING.intervalMs * (1 + JITTER)) + SLACK_MS);
        const t1 = Date.now();
        await restore();
        let up;
        try {
          up = await obs.until('/readyz 200 after the FIFO is replaced by a token', (s) => s.ready && s.status.lastReport?.ok === true, recoveryBound(TIMING) + 5_000);
        } catch {
          up = undefined;
        }
        const flip = obs.samplesIn(t0, t1).find((s) => !s.ready);
        const m = results.add(summarise(obs, TIMING, { group: 'token', fault: 'token replaced by a FIFO (open blocks)' }, { t0, t1, ...(up ? { up } : {}), ...(flip ? { flip } : {}) }));
        assert.ok(m.maxCycleMs <= TIMING.timeoutMs + 1_000, `a cycle took ${m.maxCycleMs} ms`);
        assert.equal(m.livezNon200, 0);
        assertTokenFailures('token replaced by a FIFO', obs.reportsIn(t0), ['token:token_malformed']);
        assert.notEqual(m.recoverMs, null, 'the probe never recovered once the FIFO was replaced by a valid token: readTokenFile blocks in open(2) on a FIFO, and the blocked reads exhaust the libuv thread pool');
        const stopped = await serve.stop();
        assert.ok(stopped.ms <= 2_000, `SIGTERM took ${stopped.ms} ms to stop the probe`);
      } finally {
        release();
        await rm(fifoDir, { recursive: true, force: true });
      }
    }));
});
