#!/usr/bin/env node
/**
 * `node dist/bench/run.js [--quick] [--out PATH] [--strict]`
 * `node dist/bench/run.js --render .tmp/bench/results-full.json [--out PATH]` (RESULTS.md again from a run's numbers)
 *
 * Measures irsa-probe side by side with what users run instead (an exec probe
 * running the AWS CLI, a bare Node.js server, the naive STS design) against the
 * sandbox on loopback, and writes RESULTS.md. Full mode (~30 min) writes
 * bench/RESULTS.md; quick mode (~3 min, for CI) writes .tmp/bench/RESULTS-quick.md.
 * Exit codes: 0 measured (targets met or not), 1 the benchmark could not measure,
 * 2 bad flags, 3 with --strict: a target was missed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Children, REPO_ROOT } from './child.js';
import { PARAMS, processEnv, type BenchContext, type Mode } from './context.js';
import { bareFloor } from './exp-floor.js';
import { imageFigures } from './exp-image.js';
import { leakCheck } from './exp-leak.js';
import { loadExperiment } from './exp-load.js';
import { moduleCosts } from './exp-modules.js';
import { oneShot } from './exp-oneshot.js';
import { startup } from './exp-startup.js';
import { steadyState } from './exp-steady.js';
import { stsRate } from './exp-sts-rate.js';
import { figures } from './figures.js';
import { loadAverage, machine } from './machine.js';
import { renderMarkdown } from './report-md.js';
import type { Results, Variant } from './results.js';
import { startSandbox } from './sandbox.js';
import { PROBE_MAIN } from './server-process.js';
import { GNU_TIME } from './timed.js';
import { AWS_CLI, awsCliVersion, ensureTool, gnuTimeVersion, stsEndpointOverride } from './tools.js';

export const EXIT_MEASURED = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_TARGET_MISSED = 3;

/** V8 flags the full run tries on the memory run (proposed for the image). */
/** V8-flag variants next to the image's flags: Node's defaults, and the image's flags plus --jitless. */
export const VARIANTS = ['', '--max-semi-space-size=1 --jitless'] as const;

const USAGE = 'usage: node dist/bench/run.js [--quick] [--out PATH] [--strict] | --render RESULTS.json [--out PATH]';

export interface Cli {
  readonly mode: Mode;
  readonly out: string;
  /** True when --out was given. */
  readonly outGiven: boolean;
  readonly strict: boolean;
  /** Re-render RESULTS.md from this results JSON instead of measuring. */
  readonly render?: string;
}

export function defaultOut(mode: Mode): string {
  return mode === 'full' ? join(REPO_ROOT, 'bench', 'RESULTS.md') : join(REPO_ROOT, '.tmp', 'bench', 'RESULTS-quick.md');
}

export function parseCli(argv: readonly string[]): Cli | 'help' {
  const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean' }, out: { type: 'string' }, strict: { type: 'boolean' }, render: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) return 'help';
  const mode: Mode = values.quick ? 'quick' : 'full';
  const out = resolve(values.out ?? defaultOut(mode));
  return { mode, out, outGiven: values.out !== undefined, strict: values.strict ?? false, ...(values.render !== undefined ? { render: resolve(values.render) } : {}) };
}

const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function measure(ctx: BenchContext): Promise<Omit<Results, 'machine' | 'awsCli' | 'gnuTime' | 'startedAt' | 'seconds' | 'loadAverageStart' | 'loadAverageEnd'>> {
  log('one-shot processes: aws sts get-caller-identity, irsa-probe check, node -e ""');
  const oneShotResult = await oneShot(ctx);
  log('module load costs');
  const modules = await moduleCosts(ctx, ctx.params.moduleRounds);
  log('start to ready');
  const startupResult = await startup(ctx);
  log(`serve at 100 ms for ${ctx.params.cycles} cycles (NODE_OPTIONS="${ctx.probeEnv.NODE_OPTIONS ?? ''}", as in the image)`);
  const steady = await steadyState(ctx, { cycles: ctx.params.cycles, memoryFromCycle: ctx.params.memoryFromCycle });
  const floor = await bareFloor(ctx);
  const variants: Variant[] = [];
  if (ctx.params.variantCycles > 0) {
    for (const nodeOptions of VARIANTS) {
      log(`serve with NODE_OPTIONS="${nodeOptions}" for ${ctx.params.variantCycles} cycles`);
      variants.push({ steady: await steadyState(ctx, { cycles: ctx.params.variantCycles, memoryFromCycle: ctx.params.memoryFromCycle, nodeOptions }), floor: await bareFloor(ctx, nodeOptions) });
    }
  }
  let leak;
  if (ctx.params.leakCycles.length > 0) {
    log(`live heap (heap snapshots) at cycles ${ctx.params.leakCycles.join(', ')}`);
    leak = await leakCheck(ctx, ctx.params.leakCycles);
  }
  log('idle CPU and endpoints under load');
  const load = await loadExperiment(ctx, steady.cpuSecondsPerCycle);
  log(`STS calls per hour on a 1/120 clock for ${ctx.params.stsScaledSeconds} s`);
  const sts = await stsRate(ctx);
  return { mode: ctx.mode, params: ctx.params, oneShot: oneShotResult, steady, floor, variants, startup: startupResult, load, stsRate: sts, image: await imageFigures(), modules, leak };
}

async function runBench(cli: Cli, children: Children, dir: string): Promise<Results> {
  if (!existsSync(PROBE_MAIN)) throw new Error(`${PROBE_MAIN} is missing: build first (npm run build)`);
  await ensureTool(AWS_CLI, 'awscli', log);
  await ensureTool(GNU_TIME, 'time', log);
  const startedAt = new Date();
  const loadAverageStart = loadAverage();
  const measuredOn = await machine();
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  const sandbox = await startSandbox(join(dir, 'sandbox'));
  children.track(sandbox.child);
  const stsUrl = sandbox.env.AWS_ENDPOINT_URL_STS;
  if (stsUrl === undefined) throw new Error('the sandbox env file has no AWS_ENDPOINT_URL_STS');
  const probeEnv = processEnv(sandbox.env, home);
  const awsEnv = { ...probeEnv, AWS_DATA_PATH: await stsEndpointOverride(join(dir, 'aws-data'), stsUrl) };
  const ctx: BenchContext = { mode: cli.mode, params: PARAMS[cli.mode], children, sandbox, dir, probeEnv, awsEnv, log };
  const measured = await measure(ctx);
  return {
    ...measured,
    machine: measuredOn,
    awsCli: await awsCliVersion(),
    gnuTime: await gnuTimeVersion(),
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverageStart,
    loadAverageEnd: loadAverage(),
  };
}

async function write(cli: Cli, results: Results): Promise<void> {
  await mkdir(dirname(cli.out), { recursive: true });
  await writeFile(cli.out, renderMarkdown(results));
  const json = join(REPO_ROOT, '.tmp', 'bench', `results-${cli.mode}.json`);
  await mkdir(dirname(json), { recursive: true });
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${cli.out} and ${json}`);
}

function printFigures(results: Results): boolean {
  let allMet = true;
  for (const f of figures(results)) {
    const verdict = f.met === undefined ? 'stated' : f.met ? 'met' : `MISSED (${f.miss ?? ''})`;
    if (f.met === false) allMet = false;
    process.stdout.write(`${f.title}: ${f.measured} | against ${f.against} | ${f.ratio} | target ${f.target} | ${verdict}\n`);
  }
  return allMet;
}

async function render(cli: Cli, json: string): Promise<number> {
  const results = JSON.parse(await readFile(json, 'utf8')) as Results;
  const out = cli.outGiven ? cli.out : defaultOut(results.mode);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, renderMarkdown(results));
  log(`rendered ${out} from ${json}`);
  return cli.strict && !printFigures(results) ? EXIT_TARGET_MISSED : EXIT_MEASURED;
}

export async function main(argv: readonly string[]): Promise<number> {
  let cli: Cli | 'help';
  try {
    cli = parseCli(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (cli === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_MEASURED;
  }
  if (cli.render !== undefined) return render(cli, cli.render);
  const children = new Children();
  const dir = await mkdtemp(join(tmpdir(), 'irsa-bench-'));
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping`);
    void children.stopAll().finally(() => rm(dir, { recursive: true, force: true }).finally(() => process.exit(130)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const results = await runBench(cli, children, dir);
    await write(cli, results);
    const allMet = printFigures(results);
    log(`${cli.mode} run took ${(results.seconds / 60).toFixed(1)} min`);
    return cli.strict && !allMet ? EXIT_TARGET_MISSED : EXIT_MEASURED;
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    return EXIT_FAILED;
  } finally {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

const isEntry = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(REPO_ROOT, 'dist', 'bench', 'run.js');
if (isEntry) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
