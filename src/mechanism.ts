/**
 * Which identity mechanism the pod is configured for, decided the way the AWS
 * SDK's default credential chain decides: environment keys, shared ini files,
 * web identity (IRSA), container credentials (EKS Pod Identity), then IMDS.
 * Web identity comes before container credentials, so when both are set the
 * application gets IRSA, and so does the probe.
 */
import type { AwsEnv } from './config.js';
import { nonEmpty } from './settings.js';
import type { Mechanism } from './types.js';

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

export interface MechanismInfo {
  readonly mechanism: Mechanism;
  /** Both IRSA and Pod Identity variables are present (someone set them by hand); IRSA wins. */
  readonly bothSet: boolean;
  /** The token audience the mechanism expects; undefined for `none`. */
  readonly defaultAudience: string | undefined;
}

export function detectMechanism(aws: AwsEnv): MechanismInfo {
  const irsa = nonEmpty(aws.roleArn) && nonEmpty(aws.webIdentityTokenFile);
  const podIdentity = nonEmpty(aws.containerCredentialsFullUri);
  const bothSet = irsa && podIdentity;
  if (irsa) return { mechanism: 'irsa', bothSet, defaultAudience: IRSA_AUDIENCE };
  if (podIdentity) return { mechanism: 'pod-identity', bothSet, defaultAudience: POD_IDENTITY_AUDIENCE };
  return { mechanism: 'none', bothSet, defaultAudience: undefined };
}
