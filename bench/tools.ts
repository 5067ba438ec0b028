/**
 * The outside tools the benchmark compares against or measures with: Debian's
 * AWS CLI (/usr/bin/aws, never a pyenv shim found earlier on PATH) and GNU time.
 * Missing ones are installed with apt-get; if that fails the run stops, naming
 * the package.
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GNU_TIME } from './timed.js';

const run = promisify(execFile);

export const AWS_CLI = '/usr/bin/aws';

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function aptInstall(pkg: string, log: (line: string) => void): Promise<void> {
  log(`installing ${pkg} with apt-get`);
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (first) {
    try {
      await run('apt-get', ['update'], { maxBuffer: 64 * 1024 * 1024 });
      await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
    } catch (second) {
      throw new Error(`bench: cannot install ${pkg} (apt-get install -y ${pkg}): ${(second as Error).message.split('\n')[0]}; first attempt: ${(first as Error).message.split('\n')[0]}`);
    }
  }
}

/** Makes sure `path` exists, installing Debian package `pkg` if not. */
export async function ensureTool(path: string, pkg: string, log: (line: string) => void): Promise<void> {
  if (await executable(path)) return;
  await aptInstall(pkg, log);
  if (!(await executable(path))) throw new Error(`bench: ${pkg} is installed but ${path} is missing`);
}

export async function awsCliVersion(): Promise<string> {
  const { stdout, stderr } = await run(AWS_CLI, ['--version']);
  return (stdout || stderr).trim();
}

/** GNU time's version: Debian's build prints "UNKNOWN", so the package version is asked first. */
export async function gnuTimeVersion(): Promise<string> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Version}', 'time']);
    if (stdout.trim() !== '') return `GNU time ${stdout.trim()} (Debian package)`;
  } catch {
    // not Debian: fall back to what the binary says
  }
  const { stdout, stderr } = await run(GNU_TIME, ['--version']);
  return (stdout || stderr).split('\n')[0]!.trim();
}

/** The botocore (the CLI's AWS layer) data directory of Debian's awscli package. */
const DEBIAN_BOTOCORE_DATA = '/usr/lib/python3/dist-packages/awscli/botocore/data';
const STS_RULESET = join('sts', '2011-06-15', 'endpoint-rule-set-1.json');

/**
 * AWS CLI 2.9 (Debian 12) predates AWS_ENDPOINT_URL_STS (CLI 2.13). Its botocore
 * loads data files from AWS_DATA_PATH before its own, so an STS endpoint rule
 * set whose only rule answers `endpointUrl` sends every STS call the CLI makes,
 * including the AssumeRoleWithWebIdentity of its web-identity provider, to the
 * sandbox. Everything else the CLI does (credential chain, cache, SigV4, region
 * scope) is untouched. Writes the directory and returns it for AWS_DATA_PATH.
 */
export async function stsEndpointOverride(dir: string, endpointUrl: string): Promise<string> {
  const original = JSON.parse(await readFile(join(DEBIAN_BOTOCORE_DATA, STS_RULESET), 'utf8')) as { version: string; parameters: unknown };
  const ruleset = { version: original.version, parameters: original.parameters, rules: [{ conditions: [], endpoint: { url: endpointUrl, properties: {}, headers: {} }, type: 'endpoint' }] };
  await mkdir(join(dir, 'sts', '2011-06-15'), { recursive: true });
  await writeFile(join(dir, STS_RULESET), JSON.stringify(ruleset));
  return dir;
}
