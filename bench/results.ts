/** Everything one benchmark run measured, and the targets it is judged against. */
import type { Mode, Params } from './context.js';
import type { ImageResult } from './exp-image.js';
import type { FloorResult } from './exp-floor.js';
import type { LoadExperiment } from './exp-load.js';
import type { OneShotResult } from './exp-oneshot.js';
import type { StartupResult } from './exp-startup.js';
import type { SteadyResult } from './exp-steady.js';
import type { StsRateResult } from './exp-sts-rate.js';
import type { LeakResult } from './exp-leak.js';
import type { ModuleCost } from './exp-modules.js';
import type { Machine } from './machine.js';

export interface Variant {
  readonly steady: SteadyResult;
  readonly floor: FloorResult;
}

export interface Results {
  readonly mode: Mode;
  readonly params: Params;
  readonly machine: Machine;
  readonly awsCli: string;
  readonly gnuTime: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly loadAverageStart: string;
  readonly loadAverageEnd: string;
  readonly oneShot: OneShotResult;
  readonly steady: SteadyResult;
  readonly floor: FloorResult;
  readonly variants: readonly Variant[];
  readonly startup: StartupResult;
  readonly load: LoadExperiment;
  readonly stsRate: StsRateResult;
  readonly image: ImageResult;
  readonly modules: readonly ModuleCost[];
  /** Full mode only. */
  readonly leak: LeakResult | undefined;
}

export const MiB = 2 ** 20;

export const TARGETS = {
  execCpuRatio: 100,
  checkCpuRatio: 0.3,
  checkMemoryRatio: 1.0,
  rssBytes: 60 * MiB,
  growthBytes: 2 * MiB,
  readyMs: 500,
  readyzP99Ms: 2,
  metricsP99Ms: 10,
  extraStsCalls: 0,
  appLayerBytes: 20e6,
} as const;

/** Kubelet's default probe period, for the exec probe's hourly figures. */
export const KUBELET_PERIOD_S = 10;
export const DEFAULT_INTERVAL_S = 60;

/** CPU seconds of one serve cycle at the defaults: the cycle's work plus a default interval of idling. */
export function cpuPerDefaultCycle(r: Pick<Results, 'steady' | 'load'>): number {
  return r.steady.cpuSecondsPerCycle + r.load.idleCpuPerSecond * DEFAULT_INTERVAL_S;
}
