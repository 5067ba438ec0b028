/** What the tests that run the real AWS CLI (`aws`) share: the proxy trap and the one check that it is there. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Every proxy variable points at a closed loopback port: a CLI that ignored the
 * sandbox's endpoints would fail here instead of reaching AWS. Loopback itself
 * is reached directly.
 */
export const PROXY_TRAP: Readonly<Record<string, string>> = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
  no_proxy: '127.0.0.1,localhost',
};

const WANTED = 'an AWS CLI that honours AWS_ENDPOINT_URL_STS (v1 with botocore >= 1.31, or v2 >= 2.13): scripts/install-tools.sh awscli (as root)';

/** The error a test fails with when `aws` is not on PATH: never a skip. */
export function awsCliMissing(detail = ''): Error {
  return new Error(`the AWS CLI is not installed${detail ? ` (${detail})` : ''}: install ${WANTED}`);
}

/** `aws --version`, or throws when the CLI is missing or too old to honour AWS_ENDPOINT_URL_STS (it would call AWS itself). */
export async function requireAwsCli(): Promise<string> {
  let version: string;
  try {
    const out = await run('aws', ['--version'], { timeout: 30_000 });
    version = `${out.stdout}${out.stderr}`.trim();
  } catch (error) {
    throw awsCliMissing((error as Error).message);
  }
  const v1 = /aws-cli\/1\.\S+ .*botocore\/1\.(\d+)\./.exec(version);
  const v2 = /aws-cli\/2\.(\d+)\./.exec(version);
  const ok = (v1 !== null && Number(v1[1]) >= 31) || (v2 !== null && Number(v2[1]) >= 13);
  if (!ok) throw new Error(`${version} does not honour AWS_ENDPOINT_URL_STS: install ${WANTED}`);
  return version;
}
