import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envCheck } from '../../src/checks/env.js';
import { contextFor, irsaEnv, ROLE_ARN } from '../helpers/probe.js';

const TOKEN = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
const PI = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token', AWS_REGION: 'us-west-2' };

describe('env check', () => {
  const cases: Array<[string, Record<string, string>, 'pass' | 'fail', string | undefined, RegExp]> = [
    ['a mutated IRSA pod', irsaEnv(TOKEN), 'pass', undefined, /IRSA: role arn:aws:iam::111122223333:role\/payments-api/],
    ['a Pod Identity pod', PI, 'pass', undefined, /EKS Pod Identity: agent http:\/\/169\.254\.170\.23\/v1\/credentials/],
    ['no identity variables at all', { AWS_REGION: 'us-west-2' }, 'fail', 'env_missing', /webhook did not mutate this pod/],
    ['a role without a token file', { AWS_ROLE_ARN: ROLE_ARN }, 'fail', 'env_missing', /AWS_WEB_IDENTITY_TOKEN_FILE is not/],
    ['a token file without a role', { AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN }, 'fail', 'env_missing', /AWS_ROLE_ARN is not/],
    ['a malformed role ARN', irsaEnv(TOKEN, { AWS_ROLE_ARN: 'arn:aws:iam::1234:role/x' }), 'fail', 'env_invalid', /AWS_ROLE_ARN="arn:aws:iam::1234:role\/x" is not a role ARN/],
    ['a relative token path', irsaEnv('token'), 'fail', 'env_invalid', /not an absolute path/],
    ['a bad region', irsaEnv(TOKEN, { AWS_REGION: 'mars-1' }), 'fail', 'env_invalid', /AWS_REGION="mars-1" is not an AWS region/],
    ['a bad regional endpoints setting', irsaEnv(TOKEN, { AWS_STS_REGIONAL_ENDPOINTS: 'yes' }), 'fail', 'env_invalid', /neither "regional" nor "legacy"/],
    ['a bad STS endpoint URL', irsaEnv(TOKEN, { AWS_ENDPOINT_URL_STS: 'sts.local' }), 'fail', 'env_invalid', /AWS_ENDPOINT_URL_STS="sts.local" is not an http\(s\) URL/],
    ['a Pod Identity URI that is not a URL', { ...PI, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'agent' }, 'fail', 'env_invalid', /is not a URL/],
    ['Pod Identity without its token', { AWS_CONTAINER_CREDENTIALS_FULL_URI: PI.AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_REGION: 'us-west-2' }, 'fail', 'env_missing', /AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not set/],
  ];
  for (const [what, env, status, reason, message] of cases) {
    test(`${status === 'pass' ? 'passes' : 'fails'} ${what}`, async () => {
      const v = await envCheck(contextFor(env));
      assert.equal(v.status, status, v.message);
      assert.equal(v.reason, reason);
      assert.match(v.message, message);
    });
  }

  const warnings: Array<[string, Record<string, string>, RegExp]> = [
    ['both mechanisms', { ...irsaEnv(TOKEN), ...PI }, /both IRSA .* and EKS Pod Identity/],
    ['static keys that win over the role', irsaEnv(TOKEN, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }), /static keys before the role/],
    ['no region', { AWS_ROLE_ARN: ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN }, /us-east-1/],
    ['a region only in AWS_DEFAULT_REGION', { AWS_ROLE_ARN: ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN, AWS_DEFAULT_REGION: 'eu-west-1' }, /reads AWS_REGION only/],
    ['legacy STS endpoints', irsaEnv(TOKEN, { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }), /global endpoint/],
  ];
  for (const [what, env, cause] of warnings) {
    test(`passes with a warning for ${what}`, async () => {
      const v = await envCheck(contextFor(env));
      assert.equal(v.status, 'pass', v.message);
      assert.ok(v.findings?.some((f) => f.severity === 'warning' && cause.test(f.cause)), JSON.stringify(v.findings));
    });
  }
});
