/** The sandbox's command line: flags → WorldOptions, one clear message per bad flag. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIO_DESCRIPTIONS, SCENARIOS, isScenario } from './scenarios.js';
import type { WorldOptions } from './world.js';

export class UsageError extends Error {}

export const HELP = `usage: npm run sandbox -- [--scenario NAME] [--env-file PATH] [--token-lifetime DURATION] [--dir DIR]
                          [--credentials-duration DURATION] [--throttle-share 0..1]

A local IRSA world on 127.0.0.1: OIDC issuer, STS, S3, IMDSv2 and the EKS Pod Identity agent.
  --scenario NAME              what is broken (default healthy):
${SCENARIOS.map((s) => `      ${s.padEnd(18)} ${SCENARIO_DESCRIPTIONS[s]}`).join('\n')}
  --env-file PATH              where to write the KEY=VALUE env for the probe (default <dir>/sandbox.env)
  --env-out PATH               the same (Node.js itself exits with "node: PATH: not found" when a script
                               argument --env-file names a file that does not exist yet, nodejs/node#54232;
                               use --env-out, or put -- first: npm run sandbox -- -- --env-file PATH)
  --token-lifetime DURATION    projected token lifetime, rotated at 80% (default 86400s; e.g. 30s, 10m, 24h)
  --credentials-duration DUR   lifetime of issued role credentials (default 3600s)
  --throttle-share N           share of STS calls the throttled scenario throttles (default 0.5)
  --dir DIR                    keep the token files and S3 data here (default: a temp dir, removed on exit)
Load the env with:  set -a; . PATH; set +a`;

/** `30`, `30s`, `10m`, `24h`, `1d` → whole seconds. */
export function parseSeconds(flag: string, value: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
  const seconds = m === null ? NaN : Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new UsageError(`${flag}=${JSON.stringify(value)} is invalid: expected a duration of at least 1s like 30s, 10m or 24h`);
  return seconds;
}

export function parseCli(argv: readonly string[]): WorldOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      // A leading `--` only shields the flags from Node's own --env-file handling.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        scenario: { type: 'string' },
        'env-file': { type: 'string' },
        'env-out': { type: 'string' },
        'token-lifetime': { type: 'string' },
        'credentials-duration': { type: 'string' },
        'throttle-share': { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (v['env-file'] !== undefined && v['env-out'] !== undefined && v['env-file'] !== v['env-out']) throw new UsageError('--env-file and --env-out name different files; give one');
  const envFile = v['env-out'] ?? v['env-file'];
  const scenario = v.scenario ?? 'healthy';
  if (!isScenario(scenario)) throw new UsageError(`--scenario=${JSON.stringify(scenario)} is invalid: expected one of ${SCENARIOS.join(', ')}`);
  let throttleShare: number | undefined;
  if (v['throttle-share'] !== undefined) {
    throttleShare = Number(v['throttle-share']);
    if (v['throttle-share'].trim() === '' || !(throttleShare >= 0 && throttleShare <= 1)) throw new UsageError(`--throttle-share=${JSON.stringify(v['throttle-share'])} is invalid: expected a number from 0 to 1`);
  }
  return {
    scenario,
    ...(envFile !== undefined ? { envFile: resolve(envFile) } : {}),
    ...(v.dir !== undefined ? { dir: resolve(v.dir) } : {}),
    ...(v['token-lifetime'] !== undefined ? { tokenLifetimeSeconds: parseSeconds('--token-lifetime', v['token-lifetime']) } : {}),
    ...(v['credentials-duration'] !== undefined ? { credentialsDurationSeconds: parseSeconds('--credentials-duration', v['credentials-duration']) } : {}),
    ...(throttleShare !== undefined ? { throttleShare } : {}),
  };
}

