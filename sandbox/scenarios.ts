/**
 * Scenarios: each one is a world with exactly one thing wrong (or nothing),
 * the way users actually break IRSA. A scenario decides the IAM account's
 * state (OIDC providers, role trust policies, pod identity associations), the
 * knobs it turns, and which identity variables the env file gets.
 */
import { issuerHostPath, NODE_ROLE_NAME, oidcProviderArn, subjectOf } from './defaults.js';
import type { Faults } from './faults.js';
import { irsaTrustPolicy, podIdentityTrustStatement, type PolicyDocument } from './policy.js';

export const SCENARIOS = [
  'healthy',
  'wrong-subject',
  'wrong-audience',
  'no-oidc-provider',
  'bad-thumbprint',
  'expired-token',
  'not-injected',
  'throttled',
  'sts-down',
  's3-denied',
  'pod-identity',
  'role-deleted',
  'pod-identity-unassociated',
  'pod-identity-agent-down',
  'target-denied',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenario(name: unknown): name is ScenarioName {
  return typeof name === 'string' && (SCENARIOS as readonly string[]).includes(name);
}

/** One line per scenario: what is broken (for --help, the admin API and the README). */
export const SCENARIO_DESCRIPTIONS: Record<ScenarioName, string> = {
  healthy: 'everything set up right: the pod assumes its role, S3 works',
  'wrong-subject': "the role's trust policy names another service account (StringEquals on :sub)",
  'wrong-audience': "the OIDC provider's client ID list lacks the token's audience sts.amazonaws.com",
  'no-oidc-provider': 'the account has no IAM OIDC provider for the cluster issuer',
  'bad-thumbprint': "the OIDC provider's CA thumbprint is stale",
  'expired-token': 'kubelet stopped rotating: the token file holds an expired token',
  'not-injected': 'the webhook did not mutate the pod: no IRSA variables, the SDK falls back to the node role via IMDS',
  throttled: 'STS answers a share of calls (default 50%) with 400 Throttling "Rate exceeded"',
  'sts-down': 'STS answers every call with 503 ServiceUnavailable',
  's3-denied': "the role's permissions do not allow the probe's S3 prefix: 403 AccessDenied",
  'pod-identity': 'EKS Pod Identity instead of IRSA: the agent hands out the role credentials',
  'role-deleted': 'the IAM role was deleted: AssumeRoleWithWebIdentity answers AccessDenied; sessions issued before stay valid until they expire but lose every permission (S3 answers 403)',
  'pod-identity-unassociated': 'EKS Pod Identity, but the pod identity association was deleted: the agent answers 404 ResourceNotFoundException',
  'pod-identity-agent-down': 'EKS Pod Identity, but the agent on the node is down: connections to it are refused',
  'target-denied': "the role chain's second hop is refused: the trust policy of arn:aws:iam::444455556666:role/irsa-probe-target names another role, not the pod's",
};

/** Which identity variables the env file carries. */
export type EnvKind = 'irsa' | 'pod-identity' | 'not-injected';

export function envKindOf(scenario: ScenarioName): EnvKind {
  if (scenario === 'pod-identity' || scenario === 'pod-identity-unassociated' || scenario === 'pod-identity-agent-down') return 'pod-identity';
  if (scenario === 'not-injected') return 'not-injected';
  return 'irsa';
}

export interface OidcProvider {
  readonly issuerHostPath: string;
  readonly clientIds: readonly string[];
  readonly thumbprints: readonly string[];
}

export interface Role {
  readonly name: string;
  readonly trustPolicy: PolicyDocument;
  /** Seconds; IAM's default is 3600. */
  readonly maxSessionDuration: number;
}

export interface PodIdentityAssociation {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleName: string;
}

/** The IAM side of the world, as far as the emulators need it. */
export interface Account {
  readonly id: string;
  readonly providers: readonly OidcProvider[];
  readonly roles: readonly Role[];
  readonly podIdentityAssociations: readonly PodIdentityAssociation[];
}

/** The world's fixed facts a scenario is built from. */
export interface WorldFacts {
  readonly accountId: string;
  readonly issuerUrl: string;
  /** SHA-1 thumbprint of the issuer's (modelled) root CA certificate. */
  readonly issuerThumbprint: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleName: string;
  readonly audience: string;
  readonly roleMaxSessionSeconds: number;
  readonly throttleShare: number;
}

export interface ScenarioSetup {
  readonly account: Account;
  readonly faults: Partial<Faults>;
}

/** A thumbprint that belonged to the issuer's previous CA. */
export const STALE_THUMBPRINT = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';

export function setupFor(scenario: ScenarioName, facts: WorldFacts): ScenarioSetup {
  const hostPath = issuerHostPath(facts.issuerUrl);
  const subject = subjectOf(facts.namespace, facts.serviceAccount);
  const provider: OidcProvider = { issuerHostPath: hostPath, clientIds: [facts.audience], thumbprints: [facts.issuerThumbprint] };
  const trustedSubject = scenario === 'wrong-subject' ? subjectOf(facts.namespace, `${facts.serviceAccount}-old`) : subject;
  const trust = irsaTrustPolicy({ providerArn: oidcProviderArn(facts.accountId, facts.issuerUrl), issuerHostPath: hostPath, subject: trustedSubject, audience: facts.audience });
  trust.Statement.push(podIdentityTrustStatement());
  const providers: OidcProvider[] =
    scenario === 'no-oidc-provider'
      ? []
      : scenario === 'wrong-audience'
        ? [{ ...provider, clientIds: ['api.example.com'] }]
        : scenario === 'bad-thumbprint'
          ? [{ ...provider, thumbprints: [STALE_THUMBPRINT] }]
          : [provider];
  const account: Account = {
    id: facts.accountId,
    providers,
    roles: [
      ...(scenario === 'role-deleted' ? [] : [{ name: facts.roleName, trustPolicy: trust, maxSessionDuration: facts.roleMaxSessionSeconds }]),
      { name: NODE_ROLE_NAME, trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, maxSessionDuration: 3600 },
    ],
    podIdentityAssociations: scenario === 'pod-identity-unassociated' ? [] : [{ namespace: facts.namespace, serviceAccount: facts.serviceAccount, roleName: facts.roleName }],
  };
  return { account, faults: scenarioFaults(scenario, facts) };
}

function scenarioFaults(scenario: ScenarioName, facts: WorldFacts): Partial<Faults> {
  switch (scenario) {
    case 'expired-token':
      return { tokenRotation: 'stopped', tokenContent: 'expired' };
    case 'throttled':
      return { stsThrottleShare: facts.throttleShare };
    case 'sts-down':
      return { stsStatus: 503 };
    case 's3-denied':
      return { s3Deny: true };
    case 'pod-identity-agent-down':
      return { podIdentityRefuse: true };
    default:
      return {};
  }
}
