/**
 * Hangs, end to end: a real `serve` against the sandbox, with a recording
 * proxy (HttpTap) in front of the service that hangs (accepts a request and
 * never answers). For the SDK default chain's own AssumeRoleWithWebIdentity,
 * the Pod Identity agent, STS and S3: the probe recovers within two cycles
 * after the hang ends, every hung request has been given up by the probe
 * (none left pending at the proxy), and the probe's open file descriptors and
 * sockets (/proc/PID/fd) are back to their healthy baseline. Default timeout
 * (5 s); only the interval is shortened.
 *
 * Also: the full /metrics of the running probe passes `promtool check metrics`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { World, WorldOptions } from '../../sandbox/world.js';
import { FAST, HttpTap, JITTER, Observer, pollFor, SLACK_MS, sleep, withProbe, type Exchange } from './faults-harness.js';

/** The defaults but a short interval; a hang is given up after the default per-check timeout. */
const { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS } = FAST;
/** The cycle in flight when the hang ends may still wait out its timeout; the next one must pass. */
const TWO_CYCLES_MS = 2 * (TIMEOUT_MS + INTERVAL_MS * (1 + JITTER)) + SLACK_MS;
/** Sockets and files a healthy probe may open or close between two samples (keep-alive, timers). */
const FD_TOLERANCE = 2;
/** Node's HTTP servers (the sandbox, the proxy) close a keep-alive connection after 5 s idle. */
const KEEP_ALIVE_MS = 5_000;

interface Fds {
  readonly total: number;
  readonly sockets: number;
}

function fdsOf(pid: number): Fds {
  let total = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      total += 1;
      if (target.startsWith('socket:')) sockets += 1;
    } catch {
      // Closed between the listing and the read.
    }
  }
  return { total, sockets };
}

/** The most fds and sockets seen over `ms`, sampled every 50 ms. */
async function highWater(pid: number, ms: number): Promise<Fds> {
  let most: Fds = { total: 0, sockets: 0 };
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const now = fdsOf(pid);
    most = { total: Math.max(most.total, now.total), sockets: Math.max(most.sockets, now.sockets) };
  }
  return most;
}

interface HangCase {
  readonly name: string;
  readonly world?: WorldOptions;
  /** The service the proxy stands in front of. */
  readonly upstream: (w: World) => string;
  /** The probe's environment, pointing the service at the proxy. */
  readonly env: (w: World, tap: HttpTap) => Record<string, string>;
  /** Which requests hang; every request when absent. */
  readonly hangWhen?: (ex: Exchange) => boolean;
  /** The check that fails while the service hangs. */
  readonly check: string;
}

const CASES: readonly HangCase[] = [
  {
    name: "the SDK default chain's own AssumeRoleWithWebIdentity",
    // Credentials that expire within seconds: the SDK's memoised chain must resolve again (and hangs on it) soon after the hang starts.
    world: { credentialsDurationSeconds: 6 },
    upstream: (w) => w.stsUrl,
    env: (w, tap) => ({ ...w.env, AWS_ENDPOINT_URL_STS: tap.url, IRSA_PROBE_S3_BUCKET: '' }),
    hangWhen: (ex) => ex.action === 'AssumeRoleWithWebIdentity' && ex.requestBody.includes('RoleSessionName=aws-sdk-js-session'),
    check: 'chain',
  },
  {
    name: 'the EKS Pod Identity agent',
    world: { scenario: 'pod-identity' },
    upstream: (w) => w.podIdentityUrl,
    env: (w, tap) => ({ ...w.env, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${tap.url}${new URL(w.podIdentityUrl).pathname}`, IRSA_PROBE_S3_BUCKET: '' }),
    check: 'sts',
  },
  {
    name: 'STS',
    upstream: (w) => w.stsUrl,
    env: (w, tap) => ({ ...w.env, AWS_ENDPOINT_URL_STS: tap.url, IRSA_PROBE_S3_BUCKET: '' }),
    check: 'sts',
  },
  {
    name: 'S3',
    upstream: (w) => w.s3Url,
    env: (w, tap) => ({ ...w.env, AWS_ENDPOINT_URL_S3: tap.url }),
    check: 's3',
  },
];

const readyAndPassing = (obs: Observer) => obs.until('a ready, passing cycle', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);

// Each case has its own sandbox, proxy and probe: they run side by side.
describe('hangs, each against a probe of its own', { concurrency: true }, () => {
  for (const c of CASES) {
    describe(`a hang in ${c.name}`, () => {
      test(`fails the ${c.check} check, recovers within two cycles after it ends, and leaves no request, socket or fd behind`, (t) =>
        withProbe({ world: c.world, tapping: c.upstream, env: (p) => c.env(p.world, p.tap) }, async ({ tap, serve, obs }) => {
          const pid = serve.child.pid!;
          await readyAndPassing(obs);
          // Keep-alive sockets come and go with the SDK clients (the servers close idle ones after 5 s): the baseline is
          // the most a healthy probe holds in its steady state.
          await obs.watch(KEEP_ALIVE_MS);
          const baseline = await highWater(pid, KEEP_ALIVE_MS + 1_000);

          const t0 = Date.now();
          if (c.hangWhen) tap.hangWhen = c.hangWhen;
          else tap.hang = true;
          await obs.until(`the ${c.check} check to time out`, (s) => s.status.lastReport?.checks.some((k) => k.name === c.check && k.status === 'fail' && k.reason === 'timeout') === true, 4 * TIMEOUT_MS + SLACK_MS);
          // A second hung cycle: whatever one hung request leaks, two leak more.
          await obs.until(`a second failing cycle`, (s) => obs.reportsIn(t0).filter((r) => !r.ok).length >= 2 || !s.ready, 3 * TIMEOUT_MS + SLACK_MS);
          assert.ok(tap.exchanges.some((e) => e.startedAt >= t0 && e.outcome !== 'answered'), 'the proxy held no request: the hang was not exercised');

          const t1 = Date.now();
          tap.hang = false;
          tap.hangWhen = undefined;
          const up = await obs.until('ready and passing after the hang ended', (s) => s.ready && s.status.lastReport?.ok === true && Date.parse(s.status.lastReport.startedAt) >= t1, TWO_CYCLES_MS + 30_000);
          const recoverMs = up.at - t1;
          assert.ok(recoverMs <= TWO_CYCLES_MS, `recovered ${recoverMs} ms after the hang ended (bound: two cycles, ${TWO_CYCLES_MS} ms)`);

          // Every hung request was given up by the probe (aborted), none is left open at the proxy.
          await pollFor('no request left pending at the proxy', () => (tap.pending === 0 ? true : undefined), TIMEOUT_MS + SLACK_MS);
          let now: Fds = fdsOf(pid);
          await pollFor(`fds back to baseline (${JSON.stringify(baseline)})`, async () => {
            now = fdsOf(pid);
            return now.total <= baseline.total + FD_TOLERANCE && now.sockets <= baseline.sockets + FD_TOLERANCE ? true : undefined;
          }, KEEP_ALIVE_MS + TIMEOUT_MS + SLACK_MS, 50).catch(() => undefined);
          assert.ok(now.total <= baseline.total + FD_TOLERANCE, `open fds ${now.total} after recovery, ${baseline.total} before the hang`);
          assert.ok(now.sockets <= baseline.sockets + FD_TOLERANCE, `open sockets ${now.sockets} after recovery, ${baseline.sockets} before the hang`);
          assert.equal((await serve.get('/livez')).status, 200);
          const given = tap.exchanges.filter((e) => e.startedAt >= t0 && e.startedAt < t1 && e.outcome === 'aborted').length;
          t.diagnostic(`${c.name}: recovered in ${recoverMs} ms; ${given} hung requests given up by the probe; fds ${baseline.total} (sockets ${baseline.sockets}) at most before, ${now.total} (${now.sockets}) after`);
        }));
    });
  }

  test('the full /metrics of the running probe passes promtool check metrics', () =>
    withProbe({}, async ({ serve, obs }) => {
      await readyAndPassing(obs);
      const { body } = await serve.get('/metrics');
      const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 60_000 });
      if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool is not installed: run scripts/install-tools.sh prometheus (as root) first');
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '', `promtool check metrics reported:\n${r.stdout}${r.stderr}`);
      assert.equal(r.status, 0);
    }));
});
