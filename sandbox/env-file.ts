/**
 * The env file: `KEY=VALUE` lines a shell can load with `set -a; . FILE`
 * (and `docker run --env-file` can read, as long as no value needs quoting).
 * What the pod identity webhook would inject, pointed at the sandbox.
 */
import { writeFile } from 'node:fs/promises';
import type { EnvKind } from './scenarios.js';

export interface EnvFacts {
  readonly kind: EnvKind;
  readonly roleArn: string;
  readonly region: string;
  readonly irsaTokenFile: string;
  readonly podIdentityTokenFile: string;
  readonly podIdentityUrl: string;
  readonly stsUrl: string;
  readonly s3Url: string;
  readonly imdsUrl: string;
  readonly awsConfigFile: string;
  readonly awsCredentialsFile: string;
  readonly bucket: string;
  readonly podName: string;
  readonly namespace: string;
  /** The pod ServiceAccount's kubeconfig for the Kubernetes API emulator. */
  readonly kubeconfig: string;
}

export function envFor(f: EnvFacts): Record<string, string> {
  const identity: Record<EnvKind, Record<string, string>> = {
    irsa: { AWS_ROLE_ARN: f.roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: f.irsaTokenFile },
    'pod-identity': { AWS_CONTAINER_CREDENTIALS_FULL_URI: f.podIdentityUrl, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: f.podIdentityTokenFile, IRSA_PROBE_EXPECTED_ROLE_ARN: f.roleArn },
    // The webhook did not mutate the pod: the probe is told which role the pod should have had.
    'not-injected': { IRSA_PROBE_EXPECTED_ROLE_ARN: f.roleArn },
  };
  return {
    ...identity[f.kind],
    AWS_REGION: f.region,
    AWS_DEFAULT_REGION: f.region,
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    AWS_ENDPOINT_URL_STS: f.stsUrl,
    AWS_ENDPOINT_URL_S3: f.s3Url,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: f.imdsUrl,
    AWS_EC2_METADATA_DISABLED: 'false',
    // s3rver rejects the flexible checksums recent SDKs send by default; the SDK's documented opt-out.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // Empty files: nothing from the machine's ~/.aws leaks into the default chain.
    AWS_CONFIG_FILE: f.awsConfigFile,
    AWS_SHARED_CREDENTIALS_FILE: f.awsCredentialsFile,
    IRSA_PROBE_S3_BUCKET: f.bucket,
    IRSA_PROBE_POD_NAME: f.podName,
    IRSA_PROBE_NAMESPACE: f.namespace,
    KUBECONFIG: f.kubeconfig,
  };
}

/** `KEY=VALUE`, single-quoting values a shell would split or expand. */
export function renderEnv(env: Readonly<Record<string, string>>): string {
  const lines = Object.entries(env).map(([key, value]) => `${key}=${/^[\w./:@%+,=-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`}`);
  return `# irsa-probe sandbox: load with  set -a; . <this file>; set +a\n${lines.join('\n')}\n`;
}

export async function writeEnvFile(path: string, env: Readonly<Record<string, string>>): Promise<void> {
  await writeFile(path, renderEnv(env), { mode: 0o644 });
}
