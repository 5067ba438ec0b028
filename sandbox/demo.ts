#!/usr/bin/env node
/**
 * `npm run demo`: the sandbox (healthy) and the compiled probe serving against
 * it, with a short interval, the S3 check on and a role chain into the second
 * account's irsa-probe-target (IRSA_PROBE_ASSUME_ROLES). Prints where to look and how
 * to break and heal the world, streams the probe's logs, and stops both on
 * Ctrl-C.  Flags: --port (9876), --interval (10s), --scenario (healthy).
 *
 * The probe runs at its own defaults except the interval; 10 s is the
 * shortest it starts without a warning. Every printed command states what it
 * does and within how long, computed from the interval: a test runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shellCommand } from '../src/shell.js';
import { imageNodeOptions } from './image.js';
import { parseDuration } from '../src/duration.js';
import { readSetting, SETTING, type Setting } from '../src/settings.js';
import { JITTER, MAX_THROTTLE_FACTOR } from '../src/timings.js';
import { isScenario, SCENARIOS } from './scenarios.js';
import { startWorld, type World } from './world.js';

/** The probe as it ships: the bundle that `npm run build` writes next to the compiled sandbox. */
const PROBE_MAIN = fileURLToPath(new URL('../bundle/main.js', import.meta.url));

interface DemoOptions {
  readonly port: string;
  readonly interval: string;
  readonly scenario: (typeof SCENARIOS)[number];
}

function parseDemoArgs(argv: string[]): DemoOptions {
  const { values } = parseArgs({ args: argv[0] === '--' ? argv.slice(1) : argv, options: { port: { type: 'string' }, interval: { type: 'string' }, scenario: { type: 'string' } }, strict: true });
  const scenario = values.scenario ?? 'healthy';
  if (!isScenario(scenario)) throw new Error(`--scenario=${JSON.stringify(scenario)} is invalid: expected one of ${SCENARIOS.join(', ')}`);
  const port = values.port ?? String(SETTING.port.default);
  const interval = values.interval ?? DEFAULT_INTERVAL;
  // Refused here as the probe would refuse them (its ranges, its messages), before the sandbox starts.
  validFlag(SETTING.port, '--port', port);
  validFlag(SETTING.interval, '--interval', interval);
  return { port, interval, scenario };
}

/** Throws the probe's own ConfigError when the probe would refuse `value` for this setting. */
function validFlag(setting: Setting, flag: string, value: string): void {
  readSetting(setting, new Map([[setting, { name: flag, value }]]), {});
}

const DEFAULT_INTERVAL = '10s';
/** The probe's defaults the demo keeps (README "Configuration"). */
const TIMEOUT_MS = SETTING.timeout.default;
const FAILURE_THRESHOLD = SETTING.failureThreshold.default;

/** Promised bounds, in whole seconds: the cycle in flight, then whole cycles at the longest jittered interval. */
function promises(intervalMs: number): { breakS: number; throttleS: number; healS: number } {
  const cycle = intervalMs * (1 + JITTER) + TIMEOUT_MS;
  // Throttled cycles wait 2, 4, 8 intervals before the next one.
  let throttled = cycle;
  for (let i = 1; i < FAILURE_THRESHOLD; i++) throttled += intervalMs * Math.min(2 ** i, MAX_THROTTLE_FACTOR) * (1 + JITTER) + TIMEOUT_MS;
  return { breakS: Math.ceil((TIMEOUT_MS + FAILURE_THRESHOLD * cycle) / 1000), throttleS: Math.ceil((TIMEOUT_MS + throttled) / 1000), healS: Math.ceil((TIMEOUT_MS + 2 * cycle) / 1000) };
}

/** What to type, with this world's addresses filled in. */
export function instructions(world: World, probeUrl: string, interval: string): string {
  const admin = world.adminUrl;
  const post = (path: string, body?: string): string => shellCommand('curl', '-s', '-XPOST', `${admin}${path}`, ...(body === undefined ? [] : ['-d', body]));
  const get = (url: string): string => shellCommand('curl', '-s', url);
  const p = promises(parseDuration(interval));
  const within = (s: number) => `/readyz 503 within ${s} s`;
  return [
    `irsa-probe demo: sandbox scenario=${world.scenario}, probe checks every ${interval} (env file ${world.envFile})`,
    '',
    'Look:',
    `  ${get(`${probeUrl}/readyz?verbose`)}`,
    `  ${get(`${probeUrl}/metrics`)} | grep ^irsa_`,
    `  ${get(`${probeUrl}/status`)}`,
    '',
    `Break it (${FAILURE_THRESHOLD} failed cycles turn /readyz 503; heal before the next one):`,
    `  ${post('/scenario', '{"name":"wrong-subject"}')}     # trust policy names another service account: ${within(p.breakS)}`,
    `  ${post('/scenario', '{"name":"no-oidc-provider"}')}  # the IAM OIDC provider is deleted: ${within(p.breakS)}`,
    `  ${post('/scenario', '{"name":"s3-denied"}')}         # the role may no longer use its bucket: ${within(p.breakS)}`,
    `  ${post('/scenario', '{"name":"target-denied"}')}     # the target role's trust policy names another role: ${within(p.breakS)}`,
    `  ${post('/faults', '{"stsThrottleShare":1}')}           # STS throttles every call, the probe backs off: ${within(p.throttleS)}`,
    `  ${post('/faults', '{"tokenRotation":"stopped","tokenContent":"expired"}')}  # kubelet stopped rotating the token: ${within(p.breakS)}`,
    `  scenarios: ${SCENARIOS.join(', ')}`,
    'Heal it:',
    `  ${post('/scenario', '{"name":"healthy"}')} && ${post('/faults/reset')}  # /readyz 200 within ${p.healS} s`,
    'Counters:',
    `  ${get(`${admin}/stats`)}`,
    '',
    'Ctrl-C stops both.',
    '',
  ].join('\n');
}

/**
 * The port the probe listens on, from its "started" log line; every line is
 * passed on to stdout. Asking the probe, not guessing a free port beforehand:
 * a port found free and closed again can be taken by the sandbox's own servers
 * (or anything else) before the probe binds it, and the printed commands would
 * then name someone else's address.
 */
function listeningPort(probe: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: probe.stdout! });
    lines.on('line', (line) => {
      process.stdout.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
        if (entry.msg === 'started' && typeof entry.port === 'number') resolve(entry.port);
      } catch {
        // not a log line: passed on as it is
      }
    });
    probe.once('exit', (code) => reject(new Error(`the probe exited with ${code} before it listened`)));
  });
}

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message.split('\n')[0]}\n`);
    process.exit(2);
  }
  const world = await startWorld({ scenario: options.scenario });
  const probe = spawn(process.execPath, [PROBE_MAIN, 'serve'], {
    // Only the sandbox's variables (nothing from this shell's AWS setup leaks in), and the image's NODE_OPTIONS: the probe runs as it ships.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: imageNodeOptions(), ...world.env, IRSA_PROBE_HOST: '127.0.0.1', IRSA_PROBE_PORT: options.port, IRSA_PROBE_INTERVAL: options.interval, IRSA_PROBE_STATUS: 'true', IRSA_PROBE_ASSUME_ROLES: world.targetRoleArn },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = listeningPort(probe);
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (probe.exitCode === null && probe.signalCode === null) {
      const exited = once(probe, 'exit');
      probe.kill('SIGTERM');
      await exited;
    }
    await world.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  probe.once('exit', (code) => {
    if (stopping) return;
    process.stderr.write(`demo: the probe exited with ${code}; stopping the sandbox\n`);
    void stop(code ?? 1);
  });
  const port = await listening.catch(() => undefined);
  if (port !== undefined) process.stdout.write(instructions(world, `http://127.0.0.1:${port}`, options.interval));
}

await main();
