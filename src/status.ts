/** The /status document: everything an operator needs, and no secrets. */
import type { Config } from './config.js';
import { SDK_POINTER } from './diagnose.js';
import { oneLine } from './redact.js';
import type { Health } from './health.js';
import type { MechanismInfo } from './mechanism.js';
import { redactUrl } from './redact.js';

export interface StatusSources {
  readonly version: string;
  readonly config: Config;
  readonly mechanism: MechanismInfo;
  readonly audience: string;
  readonly stsEndpoint: string;
  readonly health: Health;
  readonly now: () => number;
}

/** A value from a token, the environment or a peer, as shown: control and format characters escaped. */
const shown = (value: string | undefined): string | null => (value === undefined ? null : oneLine(value));
const iso = (seconds: number | undefined) => (seconds === undefined ? null : new Date(seconds * 1000).toISOString());
const isoMs = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function configSummary(config: Config, audience: string, stsEndpoint: string) {
  return {
    intervalMs: config.intervalMs,
    timeoutMs: config.timeoutMs,
    identityIntervalMs: config.identityIntervalMs,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    staleAfterMs: config.staleAfterMs,
    expectedRoleArn: shown(config.expectedRoleArn),
    audience,
    region: config.aws.region ?? null,
    stsEndpoint,
    roleArn: shown(config.aws.roleArn),
    webIdentityTokenFile: shown(config.aws.webIdentityTokenFile),
    containerCredentialsFullUri: config.aws.containerCredentialsFullUri === undefined ? null : redactUrl(config.aws.containerCredentialsFullUri),
    containerAuthorizationTokenFile: shown(config.aws.containerAuthorizationTokenFile),
    s3: config.s3 ? { bucket: config.s3.bucket, prefix: config.s3.prefix, key: config.s3.key } : null,
    // Whether an ExternalId is configured, not its value: the summary is for anyone who can reach /status.
    assumeRoles: config.assumeRoles.map((t) => ({ arn: t.arn, externalId: t.externalId !== undefined })),
    podName: config.podName,
    namespace: config.namespace ?? null,
  };
}

export function buildStatus(s: StatusSources) {
  const now = s.now();
  const report = s.health.lastReport();
  const facts = report?.facts;
  const claims = facts?.claims;
  const readiness = s.health.readiness(now);
  return {
    version: s.version,
    time: new Date(now).toISOString(),
    mechanism: s.mechanism.mechanism,
    bothMechanismsSet: s.mechanism.bothSet,
    config: configSummary(s.config, s.audience, s.stsEndpoint),
    token: claims
      ? {
          issuer: shown(claims.iss),
          subject: shown(claims.sub),
          audience: claims.aud.map(oneLine),
          issuedAt: iso(claims.iat),
          expiresAt: iso(claims.exp),
          namespace: shown(claims.namespace),
          serviceAccount: shown(claims.serviceAccount),
          pod: shown(claims.pod),
          algorithm: shown(claims.alg),
          keyId: shown(claims.kid),
          lastRotationSeenAt: isoMs(facts?.tokenChangedAt),
        }
      : null,
    credentials: facts?.credentialsObtainedAt !== undefined
      ? { assumedRoleArn: shown(facts.assumedRoleArn), obtainedAt: isoMs(facts.credentialsObtainedAt), expiresAt: facts.credentialsExpireAt?.toISOString() ?? null }
      : null,
    defaultChain: facts?.chainArn ? { resolvesTo: shown(facts.chainArn) } : null,
    readiness: { ready: readiness.ready, cause: readiness.cause, lastSuccessAt: isoMs(s.health.lastSuccessAt()), history: s.health.history() },
    lastReport: report ? { ok: report.ok, startedAt: report.startedAt, durationMs: report.durationMs, checks: report.checks } : null,
    // A green probe proves a current SDK's default chain, not the application's own SDK.
    hint: report?.ok === true ? SDK_POINTER : null,
  };
}
