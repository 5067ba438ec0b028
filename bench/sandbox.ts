/**
 * The sandbox (local OIDC issuer, STS, S3, IMDS on loopback) in its own
 * process, so its CPU is never mixed into the orchestrator's timing or load
 * generation; STS calls are counted through its admin API.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Child, REPO_ROOT } from './child.js';

export interface StsCounts {
  readonly assumeRoleWithWebIdentity: number;
  readonly getCallerIdentity: number;
  readonly total: number;
}

export interface Sandbox {
  readonly child: Child;
  readonly adminUrl: string;
  /** The env file's variables (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL_STS, …). */
  readonly env: Readonly<Record<string, string>>;
  stsCounts(): Promise<StsCounts>;
}

/** KEY=VALUE lines; blank lines and # comments skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`env file line without KEY=: ${JSON.stringify(line)}`);
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

interface StatsBody {
  sts: Record<string, { requests: number } | undefined>;
}

export function stsCountsOf(stats: StatsBody): StsCounts {
  const assume = stats.sts.AssumeRoleWithWebIdentity?.requests ?? 0;
  const gci = stats.sts.GetCallerIdentity?.requests ?? 0;
  const total = Object.values(stats.sts).reduce((sum, c) => sum + (c?.requests ?? 0), 0);
  return { assumeRoleWithWebIdentity: assume, getCallerIdentity: gci, total };
}

/** The healthy world in `dir`, with extra sandbox flags (e.g. --credentials-duration). */
export async function startSandbox(dir: string, flags: readonly string[] = []): Promise<Sandbox> {
  await mkdir(dir, { recursive: true });
  const envFile = join(dir, 'sandbox.env');
  const args = [join(REPO_ROOT, 'dist/sandbox/main.js'), '--scenario', 'healthy', '--env-out', envFile, '--dir', join(dir, 'world'), ...flags];
  const child = new Child('sandbox', process.execPath, args, process.env);
  try {
    const ready = await child.waitForLine((l) => l.startsWith('sandbox ready:'), 30_000);
    const adminUrl = /admin=(\S+)/.exec(ready)?.[1];
    if (adminUrl === undefined) throw new Error(`sandbox ready line without admin URL: ${ready}`);
    return sandboxHandle(child, adminUrl, parseEnvFile(await readFile(envFile, 'utf8')));
  } catch (error) {
    await child.stop();
    throw error;
  }
}

function sandboxHandle(child: Child, adminUrl: string, env: Record<string, string>): Sandbox {
  return {
    child,
    adminUrl,
    env,
    async stsCounts() {
      const res = await fetch(`${adminUrl}/stats`);
      if (!res.ok) throw new Error(`sandbox GET /stats: ${res.status}`);
      return stsCountsOf((await res.json()) as StatsBody);
    },
  };
}
