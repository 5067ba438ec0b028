/**
 * The sandbox (local OIDC issuer, STS, S3, IMDS on loopback) as its own
 * process, so its CPU never mixes with what a test or the bench measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SANDBOX_MAIN = fileURLToPath(new URL('../../sandbox/main.js', import.meta.url));

export interface SandboxProcess {
  readonly child: ChildProcess;
  readonly adminUrl: string;
  /** The env file's variables (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL_STS, …). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
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

/** Starts `scenario` with its files in `dir`; resolves once it prints `sandbox ready:`. */
export async function startSandboxProcess(dir: string, scenario = 'healthy', flags: readonly string[] = []): Promise<SandboxProcess> {
  await mkdir(dir, { recursive: true });
  const envFile = join(dir, 'sandbox.env');
  const child = spawn(process.execPath, [SANDBOX_MAIN, '--scenario', scenario, '--env-out', envFile, '--dir', join(dir, 'world'), ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(kill);
  };
  let output = '';
  try {
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the sandbox was not ready within 30 s: ${output.slice(-1_000)}`)), 30_000);
      const onData = (d: Buffer): void => {
        output = (output + d.toString()).slice(-8_192);
        const line = output.split('\n').find((l) => l.startsWith('sandbox ready:'));
        if (line === undefined) return;
        clearTimeout(timer);
        resolve(line);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8_192)));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox exited (${code}) before it was ready: ${output.slice(-1_000)}`));
      });
    });
    const adminUrl = /admin=(\S+)/.exec(ready)?.[1];
    if (adminUrl === undefined) throw new Error(`sandbox ready line without admin URL: ${ready}`);
    return { child, adminUrl, env: parseEnvFile(await readFile(envFile, 'utf8')), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
