/**
 * What every experiment gets: the mode's sizes, the processes' environment
 * (the sandbox's env file on top of a minimal base, so nothing from the
 * caller's shell leaks in), the child registry, and a progress log.
 */
import type { Children } from './child.js';
import type { Sandbox } from './sandbox.js';

export type Mode = 'quick' | 'full';

export interface Params {
  /** Measured runs of each one-shot process (aws CLI, irsa-probe check, node -e ''). */
  readonly oneShotRuns: number;
  /** Start-to-ready runs of irsa-probe serve. */
  readonly startRuns: number;
  /** Cycles of the fast serve run (interval 100 ms), counted from process start. */
  readonly cycles: number;
  /** The earlier memory checkpoint (cycle number). */
  readonly memoryFromCycle: number;
  /** Idle window of serve at the default interval, seconds. */
  readonly idleSeconds: number;
  /** Seconds per autocannon run (after a warm-up of a fifth of it). */
  readonly loadSeconds: number;
  /** Wall seconds of the scaled-clock STS run. */
  readonly stsScaledSeconds: number;
  /** Cycles per V8-flag variant of the memory run (0: not run). */
  readonly variantCycles: number;
  /** Rounds of the module-load measurements. */
  readonly moduleRounds: number;
  /** Cycle counts at which the leak check takes heap snapshots (empty: not run). */
  readonly leakCycles: readonly number[];
  /** autocannon connection counts; the first gives the figures. */
  readonly connections: readonly number[];
}

export const PARAMS: Record<Mode, Params> = {
  quick: { oneShotRuns: 5, startRuns: 5, cycles: 500, memoryFromCycle: 100, idleSeconds: 10, loadSeconds: 4, stsScaledSeconds: 32, variantCycles: 0, moduleRounds: 3, leakCycles: [], connections: [1] },
  full: { oneShotRuns: 15, startRuns: 15, cycles: 5000, memoryFromCycle: 500, idleSeconds: 60, loadSeconds: 20, stsScaledSeconds: 240, variantCycles: 1000, moduleRounds: 5, leakCycles: [500, 1500, 2500], connections: [1, 10] },
};

export interface BenchContext {
  readonly mode: Mode;
  readonly params: Params;
  readonly children: Children;
  readonly sandbox: Sandbox;
  /** Working directory of this run (removed at the end). */
  readonly dir: string;
  /** Environment for irsa-probe and the bare server: the sandbox's env, S3 check off. */
  readonly probeEnv: NodeJS.ProcessEnv;
  /** Environment for the AWS CLI: the same plus AWS_DATA_PATH (STS endpoint) and its own HOME. */
  readonly awsEnv: NodeJS.ProcessEnv;
  log(line: string): void;
}

/**
 * The V8 flags the image sets (Dockerfile `ENV NODE_OPTIONS`): every Node.js
 * process of the bench runs with them, so the figures are those of the probe
 * as shipped. A unit test keeps the two equal.
 */
export const IMAGE_NODE_OPTIONS = '--max-semi-space-size=1';

/**
 * The base every measured process starts from: the image's NODE_OPTIONS, PATH, a private HOME, a locale,
 * and the sandbox's variables. IRSA_PROBE_S3_BUCKET is dropped: the AWS CLI
 * exec probe touches only STS, so the probe is measured doing the same.
 */
export function processEnv(sandboxEnv: Readonly<Record<string, string>>, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', NODE_OPTIONS: IMAGE_NODE_OPTIONS, ...sandboxEnv };
  delete env.IRSA_PROBE_S3_BUCKET;
  return env;
}
