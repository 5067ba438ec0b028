/**
 * Warning lead time: how long before the application's own SDK fails does the
 * probe see a break? The application (test/helpers/app.ts) is an S3 client on
 * the SDK's default chain with its default refresh: within 5 minutes of expiry
 * the chain refreshes in the background, keeps the credentials it has when
 * that fails, and drops them only once they have expired. So a break reaches
 * the application when its last credentials expire, up to a whole session
 * (3600 s) after the break. The sandbox issues CREDENTIALS_S-second sessions
 * (a scaled hour; the SDK refreshes them on every call), and the probe runs at
 * its defaults with a short interval. Rows go to
 * .tmp/reliability/lead-time.json; docs/reliability.md scales them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { ScenarioName } from '../../sandbox/world.js';
import { cleanEnv } from '../helpers/process.js';
import { BREAK_WORLDS } from './breaks.js';
import { FAST, pollFor, probeArgs, Results, withProbe } from './faults-harness.js';

const APP = fileURLToPath(new URL('../helpers/app.js', import.meta.url));
const CREDENTIALS_S = 8;
const INTERVAL_MS = 500;

export interface LeadRow {
  readonly group: string;
  readonly break: string;
  /** ms from the break to the application's first failed call. */
  readonly appFailsMs: number;
  /** ms from the break to /readyz 503. */
  readonly probeDetectMs: number;
  /** ms from the break to the probe's first failed cycle (what the alert's `for:` starts from). */
  readonly probeFirstFailureMs: number;
  readonly appFailedWith: string;
  readonly credentialsS: number;
  readonly intervalMs: number;
}
const results = new Results<LeadRow>('lead-time');

interface Call {
  readonly at: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly keyId?: string;
}

class App {
  readonly calls: Call[] = [];
  private buffer = '';
  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) this.calls.push(JSON.parse(l) as Call);
    });
  }

  static start(env: Record<string, string>): App {
    return new App(spawn(process.execPath, [APP], { env: cleanEnv({ ...env, APP_EVERY_MS: '250' }), stdio: ['ignore', 'pipe', 'ignore'] }));
  }

  /** Waits for the application to switch to new credentials, and returns when. */
  async refreshed(deadlineMs = 30_000): Promise<number> {
    const from = this.calls.length;
    const key = () => this.calls.findLast((c) => c.ok)?.keyId;
    const before = key();
    return pollFor('the application to refresh its credentials', () => {
      const fresh = this.calls.slice(from).find((c) => c.ok && c.keyId !== before);
      return fresh?.at;
    }, deadlineMs, 20);
  }

  firstFailureAfter(t: number): Call | undefined {
    return this.calls.find((c) => c.at >= t && !c.ok);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Breaks that reach the application only when the credentials it holds expire. */
const AT_EXPIRY = new Set<ScenarioName>(['wrong-subject', 'no-oidc-provider', 'bad-thumbprint', 'wrong-audience', 'pod-identity-unassociated', 'pod-identity-agent-down']);

/** Cases at once per mechanism: each runs a sandbox, a probe and an application of its own. */
const SIDE_BY_SIDE = 4;

for (const w of BREAK_WORLDS) {
  describe(`${w.mechanism}: the probe warns before the application's SDK fails`, { concurrency: SIDE_BY_SIDE }, () => {
    for (const { name, scenario } of w.breaks) {
      test(`${name}: ${AT_EXPIRY.has(scenario) ? 'the probe is unready while the application still works, until its credentials expire' : 'the application fails at once: a permission is evaluated on every call'}`, () =>
        withProbe({ world: { scenario: w.healthy, credentialsDurationSeconds: CREDENTIALS_S }, args: probeArgs({ ...FAST, intervalMs: INTERVAL_MS }) }, async ({ world, obs }) => {
          const app = App.start({ ...world.env });
          try {
            await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
            await app.refreshed();
            const t0 = Date.now();
            let flip, failed;
            try {
              await world.setScenario(scenario);
              flip = await obs.until(`${name}: /readyz 503`, (s) => !s.ready, 30_000);
              failed = await pollFor(`${name}: the application to fail`, () => app.firstFailureAfter(t0), (CREDENTIALS_S + 10) * 1000, 50);
            } finally {
              await world.setScenario(w.healthy);
            }
            const firstFailedCycle = obs.reportsIn(t0).find((r) => !r.ok && Date.parse(r.startedAt) >= t0);
            const row = results.add({
              group: w.mechanism,
              break: name,
              appFailsMs: failed.at - t0,
              probeDetectMs: flip.at - t0,
              probeFirstFailureMs: firstFailedCycle ? Date.parse(firstFailedCycle.startedAt) + firstFailedCycle.durationMs - t0 : flip.at - t0,
              appFailedWith: failed.code ?? '?',
              credentialsS: CREDENTIALS_S,
              intervalMs: INTERVAL_MS,
            });
            if (AT_EXPIRY.has(scenario)) {
              // Sessions issued before the break stay valid: the application works until the one it holds expires (whole-second expiries: up to 1 s early).
              assert.ok(row.appFailsMs >= (CREDENTIALS_S - 2) * 1000, `${name}: the application failed ${row.appFailsMs} ms after the break, before its credentials expired`);
              assert.ok(row.probeDetectMs < row.appFailsMs, `${name}: the probe (${row.probeDetectMs} ms) was not first (application ${row.appFailsMs} ms)`);
            } else {
              assert.ok(row.appFailsMs <= 2_000, `${name}: the application kept working ${row.appFailsMs} ms`);
            }
            await obs.until(`${name}: ready again`, (s) => s.ready && s.status.lastReport?.ok === true, 30_000);
            await pollFor(`${name}: the application to work again`, () => (app.calls.at(-1)?.ok ? true : undefined), 30_000, 50);
          } finally {
            await app.stop();
          }
        }));
    }
  });
}
