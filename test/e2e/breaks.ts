/**
 * The ways users break the trust chain at run time, one sandbox scenario each,
 * healed by switching the world back to its healthy scenario. Shared by
 * detection.test.ts (the probe sees each) and lead-time.test.ts (before the
 * application's own SDK does).
 */
import type { ScenarioName } from '../../sandbox/world.js';

export interface Break {
  readonly name: string;
  readonly scenario: ScenarioName;
  /** The `check:reason` the probe reports while it is on. */
  readonly reason: string;
}

export interface BreakWorld {
  readonly mechanism: 'IRSA' | 'Pod Identity';
  /** The scenario a world starts in and is healed back to. */
  readonly healthy: ScenarioName;
  readonly breaks: readonly Break[];
}

/** One world per mechanism. */
export const BREAK_WORLDS: readonly BreakWorld[] = [
  {
    mechanism: 'IRSA',
    healthy: 'healthy',
    breaks: [
      { name: 'trust policy names another service account', scenario: 'wrong-subject', reason: 'sts:trust_policy_mismatch' },
      { name: 'OIDC provider deleted', scenario: 'no-oidc-provider', reason: 'sts:oidc_provider_missing' },
      { name: 'OIDC provider thumbprint stale', scenario: 'bad-thumbprint', reason: 'sts:oidc_thumbprint' },
      { name: 'audience removed from the OIDC provider', scenario: 'wrong-audience', reason: 'sts:token_audience' },
      { name: 'role deleted', scenario: 'role-deleted', reason: 'sts:trust_policy_mismatch' },
      { name: 'S3 permission removed', scenario: 's3-denied', reason: 's3:s3_access_denied' },
    ],
  },
  {
    mechanism: 'Pod Identity',
    healthy: 'pod-identity',
    breaks: [
      { name: 'pod identity association deleted', scenario: 'pod-identity-unassociated', reason: 'sts:pod_identity_error' },
      { name: 'Pod Identity agent down', scenario: 'pod-identity-agent-down', reason: 'sts:network' },
    ],
  },
];
