import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAwsEnv } from '../../src/config.js';
import { detectMechanism, IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE, type MechanismInfo } from '../../src/mechanism.js';

const IRSA = { AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/payments-api', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' };
const POD_IDENTITY = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token' };

describe('detectMechanism', () => {
  const cases: Array<[string, Record<string, string>, MechanismInfo]> = [
    ['IRSA when the role and the token file are set', IRSA, { mechanism: 'irsa', bothSet: false, defaultAudience: IRSA_AUDIENCE }],
    ['Pod Identity when the agent URI is set', POD_IDENTITY, { mechanism: 'pod-identity', bothSet: false, defaultAudience: POD_IDENTITY_AUDIENCE }],
    ['IRSA first when both are set, as the SDK chain tries web identity before container credentials', { ...IRSA, ...POD_IDENTITY }, { mechanism: 'irsa', bothSet: true, defaultAudience: IRSA_AUDIENCE }],
    ['none without identity variables', { AWS_REGION: 'us-west-2' }, { mechanism: 'none', bothSet: false, defaultAudience: undefined }],
    ['none with a role but no token file', { AWS_ROLE_ARN: IRSA.AWS_ROLE_ARN }, { mechanism: 'none', bothSet: false, defaultAudience: undefined }],
    ['none with a token file but no role', { AWS_WEB_IDENTITY_TOKEN_FILE: IRSA.AWS_WEB_IDENTITY_TOKEN_FILE }, { mechanism: 'none', bothSet: false, defaultAudience: undefined }],
    ['Pod Identity when IRSA is incomplete', { AWS_ROLE_ARN: IRSA.AWS_ROLE_ARN, ...POD_IDENTITY }, { mechanism: 'pod-identity', bothSet: false, defaultAudience: POD_IDENTITY_AUDIENCE }],
    ['none when the IRSA variables are empty, as the SDK treats them', { AWS_ROLE_ARN: '', AWS_WEB_IDENTITY_TOKEN_FILE: '' }, { mechanism: 'none', bothSet: false, defaultAudience: undefined }],
    ['IRSA when the agent URI is empty', { ...IRSA, AWS_CONTAINER_CREDENTIALS_FULL_URI: '' }, { mechanism: 'irsa', bothSet: false, defaultAudience: IRSA_AUDIENCE }],
    ['Pod Identity even without its token file (the env check reports that)', { AWS_CONTAINER_CREDENTIALS_FULL_URI: POD_IDENTITY.AWS_CONTAINER_CREDENTIALS_FULL_URI }, { mechanism: 'pod-identity', bothSet: false, defaultAudience: POD_IDENTITY_AUDIENCE }],
  ];
  for (const [what, env, expected] of cases) {
    test(`detects ${what}`, () => assert.deepEqual(detectMechanism(readAwsEnv(env)), expected));
  }
});
