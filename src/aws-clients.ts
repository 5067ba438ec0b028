/**
 * Production wiring of the checks' dependencies: AWS SDK clients built once,
 * with the region set explicitly, SDK retries off (the scheduler owns retry and
 * backoff, so throttling is seen, not multiplied), timeouts on every call and
 * a cap on every response body (capped-handler.ts).
 * The S3 client is loaded only when a bucket is configured.
 */
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient, type Credentials as StsCredentials } from '@aws-sdk/client-sts';
import { CappedHttpHandler, type CappedService } from './capped-handler.js';
import type { Config } from './config.js';
import type { Credentials, ProbeDeps, S3Ops } from './checks/context.js';
import { checkSharedFiles, inspectSharedFiles } from './shared-profile.js';
import { ChainProvider } from './chain-provider.js';
import { detectMechanism } from './mechanism.js';
import type { Mechanism } from './types.js';
import { agentCredentials } from './pod-identity.js';
import { readTokenFile } from './token-file.js';

/** SDK v3 falls back to us-east-1 when no region is set; the env check warns about it. */
export const FALLBACK_REGION = 'us-east-1';

/** `mechanism`: what build-probe.ts detected (tests that build clients alone let it be detected here). */
export function createAwsClients(config: Config, mechanism: Mechanism = detectMechanism(config.aws).mechanism): ProbeDeps {
  const region = config.aws.region ?? FALLBACK_REGION;
  const endpoint = config.aws.endpointUrlSts ?? config.aws.endpointUrl;
  // One handler per client: destroying an evicted client destroys its handler's sockets.
  const stsConfig = () => ({ region, maxAttempts: 1, requestHandler: cappedHandler('STS', config), ...(endpoint ? { endpoint } : {}) });
  const assumeClient = new STSClient(stsConfig());
  const signedClients = new ClientCache((credentials) => new STSClient({ ...stsConfig(), credentials }));
  const chain = new ChainProvider({
    region,
    timeoutMs: config.timeoutMs,
    checkSharedFiles: () => checkSharedFiles(config.aws),
    // Only the file the SDK will read: web identity for IRSA, the agent's token for Pod Identity.
    ...(mechanism === 'irsa' ? { webIdentityTokenFile: config.aws.webIdentityTokenFile } : {}),
    ...(mechanism === 'pod-identity' ? { containerAuthorizationTokenFile: config.aws.containerAuthorizationTokenFile } : {}),
  });

  return {
    async assumeRoleWithWebIdentity({ roleArn, sessionName, token }, signal) {
      const out = await assumeClient.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: sessionName, WebIdentityToken: token }), { abortSignal: signal });
      return toCredentials('AssumeRoleWithWebIdentity', out);
    },
    async assumeRole({ roleArn, sessionName, durationSeconds, externalId }, source, signal) {
      const input = { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: durationSeconds, ...(externalId === undefined ? {} : { ExternalId: externalId }) };
      const out = await signedClients.get(source).send(new AssumeRoleCommand(input), { abortSignal: signal });
      return toCredentials('AssumeRole', out);
    },
    async getCallerIdentity(credentials, signal) {
      const out = await signedClients.get(credentials).send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      if (!out.Arn || !out.Account) throw new Error('GetCallerIdentity returned no ARN');
      return { arn: out.Arn, account: out.Account, userId: out.UserId ?? '' };
    },
    podIdentityCredentials({ token }, signal) {
      return agentCredentials({ uri: config.aws.containerCredentialsFullUri ?? '', token }, signal);
    },
    defaultChain(signal) {
      return chain.resolve(signal);
    },
    s3: lazyS3(config, region),
    sharedFileKeys: () => inspectSharedFiles(config.aws),
    readTokenFile,
  };
}

/** An assume call's answer as credentials; an answer without all three parts is an error. */
function toCredentials(operation: string, out: { Credentials?: StsCredentials; AssumedRoleUser?: { Arn?: string } }): Credentials & { assumedRoleArn?: string } {
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`${operation} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration, assumedRoleArn: out.AssumedRoleUser?.Arn };
}

function cappedHandler(service: CappedService, config: Config): CappedHttpHandler {
  return new CappedHttpHandler(service, { connectionTimeout: config.timeoutMs, requestTimeout: config.timeoutMs });
}

/**
 * One client per credential set (the role's and the chain's), newest kept.
 * Every cycle brings new role credentials, so an evicted client is destroyed:
 * its keep-alive sockets would otherwise stay open until the server drops them.
 */
class ClientCache<T extends { destroy(): void }> {
  private readonly clients = new Map<string, T>();
  constructor(private readonly make: (credentials: Credentials) => T, private readonly size = 4) {}
  get(credentials: Credentials): T {
    const key = `${credentials.accessKeyId}\0${credentials.sessionToken ?? ''}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = this.make(credentials);
      this.clients.set(key, client);
      for (const [oldest, old] of this.clients) {
        if (this.clients.size <= this.size) break;
        this.clients.delete(oldest);
        old.destroy();
      }
    }
    return client;
  }
}

function lazyS3(config: Config, region: string): () => Promise<S3Ops> {
  let ops: Promise<S3Ops> | undefined;
  return () => (ops ??= loadS3(config, region));
}

async function loadS3(config: Config, region: string): Promise<S3Ops> {
  const { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const endpoint = config.aws.endpointUrlS3 ?? config.aws.endpointUrl;
  const clients = new ClientCache(
    (credentials) =>
      new S3Client({
        region,
        credentials,
        maxAttempts: 1,
        requestHandler: cappedHandler('S3', config),
        ...(endpoint ? { endpoint, forcePathStyle: needsPathStyle(endpoint) } : {}),
      }),
    2,
  );
  return {
    async put(credentials, bucket, key, body, signal) {
      await clients.get(credentials).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain' }), { abortSignal: signal });
    },
    async get(credentials, bucket, key, signal) {
      const out = await clients.get(credentials).send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      if (out.Body === undefined) return new Uint8Array();
      return out.Body.transformToByteArray();
    },
    async delete(credentials, bucket, key, signal) {
      await clients.get(credentials).send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    },
  };
}

/** Virtual-hosted addressing needs DNS names per bucket; an IP or localhost endpoint cannot have them. */
export function needsPathStyle(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  } catch {
    return false;
  }
}
