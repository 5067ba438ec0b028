/**
 * One-shot processes, interleaved so the machine's noise falls on both alike:
 * `aws sts get-caller-identity` (what an exec readiness probe runs each period)
 * and `irsa-probe check`; `node -e ''` gives the runtime's start-up floor.
 * Each run's CPU and peak RSS come from GNU time, its STS calls from the sandbox.
 */
import type { BenchContext } from './context.js';
import type { StsCounts } from './sandbox.js';
import { PROBE_MAIN } from './server-process.js';
import { summarize, type Summary } from './stats.js';
import { timedRun, type TimedRun } from './timed.js';
import { AWS_CLI } from './tools.js';

export interface OneShotSide {
  readonly command: string;
  readonly cpuSeconds: Summary;
  readonly maxRssBytes: Summary;
  readonly wallMs: Summary;
  /** STS calls per run, as counted by the sandbox. */
  readonly stsCalls: Summary;
  readonly assumesPerRun: Summary;
}

export interface OneShotResult {
  readonly aws: OneShotSide;
  readonly check: OneShotSide;
  readonly nodeEmpty: OneShotSide;
}

interface Runner {
  readonly command: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

interface Sample {
  readonly run: TimedRun;
  readonly sts: StsCounts;
}

async function once(ctx: BenchContext, r: Runner): Promise<Sample> {
  const before = await ctx.sandbox.stsCounts();
  const run = await timedRun(r.file, r.args, { env: r.env, timeoutMs: 60_000 });
  if (run.exitCode !== 0) throw new Error(`${r.command} exited ${run.exitCode}; stderr:\n${run.stderr.slice(-1500)}\nstdout:\n${run.stdout.slice(-1500)}`);
  const after = await ctx.sandbox.stsCounts();
  const sts = { assumeRoleWithWebIdentity: after.assumeRoleWithWebIdentity - before.assumeRoleWithWebIdentity, getCallerIdentity: after.getCallerIdentity - before.getCallerIdentity, total: after.total - before.total };
  return { run, sts };
}

function side(command: string, samples: readonly Sample[]): OneShotSide {
  return {
    command,
    cpuSeconds: summarize(samples.map((s) => s.run.cpuSeconds)),
    maxRssBytes: summarize(samples.map((s) => s.run.maxRssBytes)),
    wallMs: summarize(samples.map((s) => s.run.wallMs)),
    stsCalls: summarize(samples.map((s) => s.sts.total)),
    assumesPerRun: summarize(samples.map((s) => s.sts.assumeRoleWithWebIdentity)),
  };
}

export async function oneShot(ctx: BenchContext): Promise<OneShotResult> {
  const runners: Runner[] = [
    { command: 'aws sts get-caller-identity', file: AWS_CLI, args: ['sts', 'get-caller-identity', '--output', 'json'], env: ctx.awsEnv },
    { command: 'node dist/src/main.js check', file: process.execPath, args: [PROBE_MAIN, 'check'], env: ctx.probeEnv },
    { command: "node -e ''", file: process.execPath, args: ['-e', ''], env: ctx.probeEnv },
  ];
  // One unmeasured round warms the page cache (and the CLI's credential cache, as in a running pod).
  for (const r of runners) await once(ctx, r);
  const samples: Sample[][] = runners.map(() => []);
  for (let i = 0; i < ctx.params.oneShotRuns; i++) {
    for (const [k, r] of runners.entries()) samples[k]!.push(await once(ctx, r));
    ctx.log(`one-shot round ${i + 1}/${ctx.params.oneShotRuns}: aws ${samples[0]!.at(-1)!.run.cpuSeconds.toFixed(2)} CPU-s, check ${samples[1]!.at(-1)!.run.cpuSeconds.toFixed(2)} CPU-s`);
  }
  return { aws: side(runners[0]!.command, samples[0]!), check: side(runners[1]!.command, samples[1]!), nodeEmpty: side(runners[2]!.command, samples[2]!) };
}
