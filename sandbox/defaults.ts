/**
 * The sandbox's fixed facts: the account, the pod and its service account,
 * the roles. Everything here mirrors what an EKS cluster would have.
 */

export const ACCOUNT_ID = '111122223333';
export const REGION = 'us-west-2';
export const NAMESPACE = 'default';
export const SERVICE_ACCOUNT = 'irsa-probe-demo';
export const POD_NAME = 'demo-pod-0';
export const ROLE_NAME = 'irsa-probe-demo';
export const NODE_ROLE_NAME = 'eks-node-role';
/** An IAM user with long-term access keys, as a legacy application might pin in ~/.aws/credentials. */
export const STATIC_USER_NAME = 'legacy-app';
export const INSTANCE_ID = 'i-0abc1234def567890';
export const BUCKET = 'irsa-probe-demo';
export const CLUSTER_NAME = 'sandbox';

/** The IRSA webhook's default audience and token lifetime. */
export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
export const TOKEN_LIFETIME_SECONDS = 86_400;
/** AssumeRoleWithWebIdentity's default DurationSeconds. */
export const CREDENTIALS_DURATION_SECONDS = 3600;

/** Where the webhooks mount the projected tokens, relative to the sandbox directory. */
export const IRSA_TOKEN_DIR = 'eks.amazonaws.com/serviceaccount';
export const IRSA_TOKEN_FILE = 'token';
export const POD_IDENTITY_TOKEN_DIR = 'pods.eks.amazonaws.com/serviceaccount';
export const POD_IDENTITY_TOKEN_FILE = 'eks-pod-identity-token';

export function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

export function userArn(accountId: string, userName: string): string {
  return `arn:aws:iam::${accountId}:user/${userName}`;
}

export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export function subjectOf(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** What an IAM OIDC provider ARN is made of: the issuer URL without its scheme. */
export function issuerHostPath(issuerUrl: string): string {
  return issuerUrl.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function oidcProviderArn(accountId: string, issuerUrl: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${issuerHostPath(issuerUrl)}`;
}

/** The second account, with the role a pod's role chains into (sts:AssumeRole). */
export const TARGET_ACCOUNT_ID = '444455556666';
export const TARGET_ROLE_NAME = 'irsa-probe-target';
/** A role the `target-denied` scenario's trust policy names instead of the pod's role. */
export const OTHER_SOURCE_ROLE_NAME = 'irsa-probe-other';
