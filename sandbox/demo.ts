#!/usr/bin/env node
/**
 * `npm run demo`: the sandbox (healthy) and the compiled probe serving against
 * it, with a short interval, the S3 check on and a role chain into the second
 * account's irsa-probe-target (IRSA_PROBE_ASSUME_ROLES). Prints where to look and how
 * to break and heal the world, streams the probe's logs, and stops both on
 * Ctrl-C.  Flags: --port (9876), --interval (5s), --scenario (healthy).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isScenario, SCENARIOS } from './scenarios.js';
import { startWorld, type World } from './world.js';

const PROBE_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

interface DemoOptions {
  readonly port: string;
  readonly interval: string;
  readonly scenario: (typeof SCENARIOS)[number];
}

function parseDemoArgs(argv: string[]): DemoOptions {
  const { values } = parseArgs({ args: argv[0] === '--' ? argv.slice(1) : argv, options: { port: { type: 'string' }, interval: { type: 'string' }, scenario: { type: 'string' } }, strict: true });
  const scenario = values.scenario ?? 'healthy';
  if (!isScenario(scenario)) throw new Error(`--scenario=${JSON.stringify(scenario)} is invalid: expected one of ${SCENARIOS.join(', ')}`);
  const port = values.port ?? '9876';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new Error(`--port=${JSON.stringify(port)} is invalid: expected a port number`);
  return { port, interval: values.interval ?? '5s', scenario };
}

/** What to type, with this world's addresses filled in. */
export function instructions(world: World, probeUrl: string, interval: string): string {
  const admin = world.adminUrl;
  const post = (path: string, body?: string): string => `curl -s -XPOST ${admin}${path}${body === undefined ? '' : ` -d '${body}'`}`;
  return [
    `irsa-probe demo: sandbox scenario=${world.scenario}, probe checks every ${interval} (env file ${world.envFile})`,
    '',
    'Look:',
    `  curl -s ${probeUrl}/readyz?verbose`,
    `  curl -s ${probeUrl}/metrics | grep ^irsa_`,
    `  curl -s ${probeUrl}/status`,
    '',
    'Break it (readiness turns 503 after 3 failed cycles):',
    `  ${post('/scenario', '{"name":"wrong-subject"}')}     # trust policy names another service account`,
    `  ${post('/scenario', '{"name":"no-oidc-provider"}')}`,
    `  ${post('/scenario', '{"name":"s3-denied"}')}`,
    `  ${post('/scenario', '{"name":"target-denied"}')}     # the target role's trust policy names another role`,
    `  ${post('/faults', '{"stsThrottleShare":1}')}           # STS throttles every call`,
    `  ${post('/faults', '{"tokenRotation":"stopped","tokenContent":"expired"}')}`,
    `  scenarios: ${SCENARIOS.join(', ')}`,
    'Heal it (ready again within one interval):',
    `  ${post('/scenario', '{"name":"healthy"}')} && ${post('/faults/reset')}`,
    'Counters:',
    `  curl -s ${admin}/stats`,
    '',
    'Ctrl-C stops both.',
    '',
  ].join('\n');
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
    // Only the sandbox's variables: nothing from this shell's AWS setup leaks in.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...world.env, IRSA_PROBE_HOST: '127.0.0.1', IRSA_PROBE_PORT: options.port, IRSA_PROBE_INTERVAL: options.interval, IRSA_PROBE_STATUS: 'true', IRSA_PROBE_ASSUME_ROLES: world.targetRoleArn },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.stdout.write(instructions(world, `http://127.0.0.1:${options.port}`, options.interval));
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
}

await main();
