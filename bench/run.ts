#!/usr/bin/env node
/**
 * `npm run bench` (full, ≤ 10 min) or `node dist/bench/run.js --quick` (~2 min).
 *
 * Measures irsa-probe as the image ships it (the bundle, on the image's Node.js
 * major with the Dockerfile's NODE_OPTIONS) against the goals of
 * bench/figures.ts, next to a bare Node.js server and the AWS CLI in the same
 * run, with the sandbox on loopback. Writes the figures as JSON
 * (bench/figures.json; quick: .tmp/bench/figures-quick.json) and as the
 * Markdown table between the markers of bench/RESULTS.md (quick:
 * .tmp/bench/RESULTS-quick.md). Exit 0 measured, 1 could not measure, 2 bad flags.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanEnv, MAIN } from '../test/helpers/process.js';
import { startSandboxProcess, type SandboxProcess } from '../test/helpers/sandbox-process.js';
import { renderFigures, spliceFigures, type Results } from './figures.js';
import { idleRun } from './idle.js';
import { appLayer } from './image.js';
import { loadAverage, machine, revision } from './machine.js';
import { memoryRun, type MemoryPlan } from './memory.js';
import { oneShot } from './oneshot.js';
import { REPO_ROOT, TSC_MAIN } from './paths.js';
import { shippedRuntime, type ShippedRuntime } from './runtime.js';
import { startToReady } from './startup.js';
import { GNU_TIME } from './timed.js';
import { AWS_CLI, awsCliVersion, ensureTool, stsEndpointOverride } from './tools.js';

export const PARAMS = {
  quick: { cycles: 1_000, leverCycles: 600, startRuns: 5, idleSeconds: 60, oneShotRuns: 3 },
  full: { cycles: 5_000, leverCycles: 2_000, startRuns: 11, idleSeconds: 240, oneShotRuns: 7 },
} as const;
type Mode = keyof typeof PARAMS;

/** What each lever changes from the shipped build; every one runs next to its own floor. */
export function leverPlans(rt: ShippedRuntime, cycles: number, s3Bucket: string): MemoryPlan[] {
  const plan = (label: string, over: Partial<MemoryPlan>): MemoryPlan => ({ label, runner: { node: rt.node, main: MAIN }, nodeVersion: rt.version, nodeOptions: rt.nodeOptions, cycles, from: 500, ...over });
  const withoutHeapCap = rt.nodeOptions.replace(/\s*--max-old-space-size=\S+/, '');
  const s3 = { IRSA_PROBE_S3_BUCKET: s3Bucket };
  return [
    plan('bundle, no NODE_OPTIONS (Node.js defaults)', { nodeOptions: '' }),
    plan('bundle, the previous image flags', { nodeOptions: '--max-semi-space-size=1' }),
    plan('bundle, without the old-space cap', { nodeOptions: withoutHeapCap }),
    plan('unbundled tsc output (dist/src/main.js)', { runner: { node: rt.node, main: TSC_MAIN } }),
    plan('bundle on Node.js 20 (this machine)', { runner: { node: process.execPath, main: MAIN }, nodeVersion: process.version }),
    plan('bundle, S3 check on', { env: s3 }),
    plan('bundle, S3 check on, without the old-space cap', { env: s3, nodeOptions: withoutHeapCap }),
  ];
}

const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Envs {
  /** The probe's and the bare server's: the sandbox's variables, S3 check off, the image's NODE_OPTIONS. */
  readonly env: Record<string, string>;
  /** The AWS CLI's: the same sandbox, a private HOME, STS pointed at the sandbox. */
  readonly awsEnv: NodeJS.ProcessEnv;
  readonly bucket: string;
}

async function environments(sandbox: SandboxProcess, dir: string, rt: ShippedRuntime): Promise<Envs> {
  const { IRSA_PROBE_S3_BUCKET: bucket, ...sandboxEnv } = sandbox.env;
  const awsHome = join(dir, 'aws-home');
  await mkdir(awsHome, { recursive: true });
  const awsData = await stsEndpointOverride(join(dir, 'aws-data'), sandboxEnv.AWS_ENDPOINT_URL_STS ?? '');
  return {
    env: { ...sandboxEnv, NODE_OPTIONS: rt.nodeOptions },
    awsEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...sandboxEnv, HOME: awsHome, AWS_DATA_PATH: awsData },
    bucket: bucket ?? '',
  };
}

/** Start-up first, alone (it is wall time); then the memory runs side by side with the idle run and the one-shot runs. */
async function experiments(mode: Mode, rt: ShippedRuntime, { env, awsEnv, bucket }: Envs) {
  const p = PARAMS[mode];
  const runner = { node: rt.node, main: MAIN };
  log(`start to ready, ${p.startRuns} runs`);
  const startup = await startToReady(runner, env, p.startRuns);
  const plans = leverPlans(rt, p.leverCycles, bucket);
  log(`memory: ${p.cycles} cycles, and ${plans.length} levers of ${p.leverCycles} cycles, side by side`);
  const memory = memoryRun({ label: 'bundle, the image flags (shipped)', runner, nodeVersion: rt.version, nodeOptions: rt.nodeOptions, cycles: p.cycles, from: 500 }, env);
  const levers = Promise.all(plans.map((plan) => memoryRun(plan, env)));
  const sequence = (async () => {
    log(`default interval under kubelet and Prometheus load for ${p.idleSeconds} s`);
    const idle = await idleRun(runner, env, p.idleSeconds);
    log(`one-shot check against the AWS CLI, ${p.oneShotRuns} rounds`);
    return { idle, oneShot: await oneShot({ file: rt.node, args: [MAIN, 'check'], env: cleanEnv(env) }, awsEnv, p.oneShotRuns) };
  })();
  const [m, l, s] = await Promise.all([memory, levers, sequence]);
  return { startup, memory: m, levers: l, ...s };
}

async function measure(mode: Mode, dir: string): Promise<Results> {
  const started = new Date();
  const loadStart = loadAverage();
  await ensureTool(AWS_CLI, 'awscli', log);
  await ensureTool(GNU_TIME, 'time', log);
  const rt = await shippedRuntime(log);
  log(`runtime: ${rt.node} ${rt.version}, NODE_OPTIONS=${rt.nodeOptions}`);
  const sandbox = await startSandboxProcess(join(dir, 'sandbox'));
  try {
    const measured = await experiments(mode, rt, await environments(sandbox, dir, rt));
    const header = { mode, startedAt: started.toISOString(), seconds: (Date.now() - started.getTime()) / 1000, loadAverage: { start: loadStart, end: loadAverage() } };
    return { ...header, machine: await machine(), revision: await revision(), node: rt.version, nodeOptions: rt.nodeOptions, awsCli: (await awsCliVersion()).split(' ')[0] ?? '', ...measured, appLayer: await appLayer() };
  } finally {
    await sandbox.stop();
  }
}

async function write(results: Results): Promise<void> {
  const full = results.mode === 'full';
  const json = full ? join(REPO_ROOT, 'bench', 'figures.json') : join(REPO_ROOT, '.tmp', 'bench', 'figures-quick.json');
  const md = full ? join(REPO_ROOT, 'bench', 'RESULTS.md') : join(REPO_ROOT, '.tmp', 'bench', 'RESULTS-quick.md');
  await mkdir(join(REPO_ROOT, '.tmp', 'bench'), { recursive: true });
  if (!full) await copyFile(join(REPO_ROOT, 'bench', 'RESULTS.md'), md);
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(md, spliceFigures(await readFile(md, 'utf8'), renderFigures(results)));
  log(`wrote ${json} and ${md}`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let quick: boolean | undefined;
  try {
    quick = parseArgs({ args: [...argv], options: { quick: { type: 'boolean' } }, strict: true }).values.quick;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\nusage: node dist/bench/run.js [--quick]\n`);
    return 2;
  }
  const dir = await mkdtemp(join(tmpdir(), 'irsa-bench-'));
  try {
    const results = await measure(quick ? 'quick' : 'full', dir);
    await write(results);
    process.stdout.write(`${renderFigures(results)}\n`);
    return 0;
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
