/**
 * STS calls per pod per hour at the default settings, measured on a clock
 * scaled 1/120 and checked against the analytic model. Scaled world: interval
 * 60 s → 500 ms, and credentials that become "close to expiry" (5 min margin,
 * not scaled) 55 min → 27.5 s after issue (328 s lifetime; the sandbox writes
 * whole-second expirations, half a second early on average). A scaled hour is
 * 30 s of wall time. The identity interval (15 min, at least 1 min) cannot be
 * scaled: its GetCallerIdentity calls are added from the model.
 */
import type { Children } from './child.js';
import type { BenchContext } from './context.js';
import { processEnv } from './context.js';
import { sleep } from './http.js';
import { startSandbox } from './sandbox.js';
import { startProbe } from './server-process.js';
import { median } from './stats.js';

export const SCALE = 120;
export interface StsSettings {
  readonly intervalS: number;
  readonly identityIntervalS: number;
  readonly credentialsS: number;
  readonly marginS: number;
}
export const DEFAULTS: StsSettings = { intervalS: 60, identityIntervalS: 900, credentialsS: 3600, marginS: 300 };
/** Re-assumptions closer together than this (wall seconds) are one event (the sts check's and the chain's). */
const SAME_EVENT_S = 5;
const SCALED_CREDENTIALS_S = 328;

export interface StsModel {
  readonly getCallerIdentity: number;
  readonly assumeRoleWithWebIdentity: number;
  readonly total: number;
}

/**
 * Calls per hour by design: one AssumeRoleWithWebIdentity per cycle (every
 * cycle re-proves the trust chain); GetCallerIdentity at the first cycle after
 * each identity interval (half an interval late on average); the SDK chain
 * refreshes its own credentials 5 minutes before expiry, costing one
 * AssumeRoleWithWebIdentity and the chain check's one GetCallerIdentity for
 * the new key. `identityChecks: false` leaves out the identity interval's calls.
 */
export function stsModel(p: StsSettings, identityChecks = true): StsModel {
  const cyclesPerHour = 3600 / p.intervalS;
  const chainPeriod = p.credentialsS - p.marginS + p.intervalS / 2;
  const gci = (identityChecks ? 3600 / (p.identityIntervalS + p.intervalS / 2) : 0) + 3600 / chainPeriod;
  const assume = cyclesPerHour + 3600 / chainPeriod;
  return { getCallerIdentity: gci, assumeRoleWithWebIdentity: assume, total: gci + assume };
}

/** The naive design: AssumeRoleWithWebIdentity and GetCallerIdentity on every check. */
export function naiveModel(intervalS: number): StsModel {
  const n = 3600 / intervalS;
  return { getCallerIdentity: n, assumeRoleWithWebIdentity: n, total: 2 * n };
}

/** Gaps between events, where times closer than `sameMs` to the previous event's first time are one event. */
export function eventGaps(times: readonly number[], sameMs: number): number[] {
  const events: number[] = [];
  for (const t of times) if (events.length === 0 || t - events.at(-1)! >= sameMs) events.push(t);
  return events.slice(1).map((t, i) => t - events[i]!);
}

export interface StsRateResult {
  readonly scale: number;
  readonly wallSeconds: number;
  readonly scaledHours: number;
  readonly cycles: number;
  readonly getCallerIdentity: number;
  readonly assumeRoleWithWebIdentity: number;
  /** Median time between re-assumptions, in real (unscaled) minutes. */
  readonly reassumeEveryMinutes: number | undefined;
  /** Projected to the defaults: 60 cycles an hour, time-driven calls per scaled hour. */
  readonly projected: StsModel;
  readonly model: StsModel;
  /** The model without the identity interval's calls, which the scaled run does not include (the interval is not scaled). */
  readonly modelWithoutIdentityChecks: StsModel;
  readonly naive: StsModel;
}

export async function stsRate(ctx: BenchContext): Promise<StsRateResult> {
  const sandbox = await startSandbox(`${ctx.dir}/sts-rate`, ['--credentials-duration', `${SCALED_CREDENTIALS_S}s`]);
  const children: Children = ctx.children;
  children.track(sandbox.child);
  try {
    const env = processEnv(sandbox.env, ctx.probeEnv.HOME!);
    const flags = ['--interval', `${(DEFAULTS.intervalS * 1000) / SCALE}ms`];
    const probe = await startProbe(children, env, flags);
    try {
      await probe.waitReady(30_000);
      await sleep(2000);
      const s0 = await sandbox.stsCounts();
      const c0 = await probe.metric('irsa_probe_cycles_total');
      const started = Date.now();
      const assumeTimes: number[] = [];
      let lastAssumes = s0.assumeRoleWithWebIdentity;
      while (Date.now() - started < ctx.params.stsScaledSeconds * 1000) {
        await sleep(250);
        const now = await sandbox.stsCounts();
        if (now.assumeRoleWithWebIdentity > lastAssumes) assumeTimes.push(Date.now());
        lastAssumes = now.assumeRoleWithWebIdentity;
      }
      const s1 = await sandbox.stsCounts();
      const cycles = (await probe.metric('irsa_probe_cycles_total')) - c0;
      const wallSeconds = (Date.now() - started) / 1000;
      const scaledHours = (wallSeconds * SCALE) / 3600;
      const gci = s1.getCallerIdentity - s0.getCallerIdentity;
      const assume = s1.assumeRoleWithWebIdentity - s0.assumeRoleWithWebIdentity;
      const gaps = eventGaps(assumeTimes, SAME_EVENT_S * 1000).map((ms) => ms / 1000);
      const projectedGci = gci / scaledHours;
      const projectedAssume = 3600 / DEFAULTS.intervalS + (assume - cycles) / scaledHours;
      ctx.log(`STS at 1/${SCALE} scale: ${cycles} cycles, ${gci} GetCallerIdentity, ${assume} AssumeRoleWithWebIdentity in ${scaledHours.toFixed(1)} scaled hours`);
      return {
        scale: SCALE,
        wallSeconds,
        scaledHours,
        cycles,
        getCallerIdentity: gci,
        assumeRoleWithWebIdentity: assume,
        reassumeEveryMinutes: gaps.length > 0 ? (median(gaps) * SCALE) / 60 : undefined,
        projected: { getCallerIdentity: projectedGci, assumeRoleWithWebIdentity: projectedAssume, total: projectedGci + projectedAssume },
        model: stsModel(DEFAULTS),
        modelWithoutIdentityChecks: stsModel(DEFAULTS, false),
        naive: naiveModel(DEFAULTS.intervalS),
      };
    } finally {
      await children.stop(probe.child);
    }
  } finally {
    await children.stop(sandbox.child);
  }
}
