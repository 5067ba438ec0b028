/**
 * One-shot processes, interleaved so the machine's noise falls on both alike:
 * `aws sts get-caller-identity` (what an exec readiness probe runs each period)
 * and `irsa-probe check` on the shipped runtime. CPU (user + system) and peak
 * RSS from GNU time. One unmeasured round first warms the page cache and the
 * CLI's credential cache, as in a running pod.
 */
import { summarize, type Summary } from './stats.js';
import { timedRun } from './timed.js';
import { AWS_CLI } from './tools.js';

export interface OneShotRun {
  readonly awsCpuMs: Summary;
  readonly checkCpuMs: Summary;
  readonly awsMaxRssBytes: Summary;
  readonly checkMaxRssBytes: Summary;
}

interface Cmd {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

async function cpuMs(cmd: Cmd): Promise<[number, number]> {
  const run = await timedRun(cmd.file, cmd.args, { env: cmd.env, timeoutMs: 60_000 });
  if (run.exitCode !== 0) throw new Error(`${cmd.file} ${cmd.args.join(' ')} exited ${run.exitCode}: ${run.stderr.slice(-1_500)} ${run.stdout.slice(-1_500)}`);
  return [run.cpuSeconds * 1000, run.maxRssBytes];
}

export async function oneShot(check: Cmd, awsEnv: NodeJS.ProcessEnv, runs: number): Promise<OneShotRun> {
  const aws: Cmd = { file: AWS_CLI, args: ['sts', 'get-caller-identity', '--output', 'json'], env: awsEnv };
  await cpuMs(aws);
  await cpuMs(check);
  const a: [number, number][] = [];
  const c: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await cpuMs(aws));
    c.push(await cpuMs(check));
  }
  return { awsCpuMs: summarize(a.map((x) => x[0])), checkCpuMs: summarize(c.map((x) => x[0])), awsMaxRssBytes: summarize(a.map((x) => x[1])), checkMaxRssBytes: summarize(c.map((x) => x[1])) };
}
