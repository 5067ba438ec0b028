import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { envCheck } from '../../src/checks/env.js';
import { contextFor, irsaEnv, ROLE_ARN } from '../helpers/probe.js';
import { tempDir } from './fixtures.js';

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

  describe('static keys in the shared files', () => {
    const dir = tempDir('env-shared-');
    const file = (name: string) => join(dir(), name);
    before(async () => {
      await writeFile(file('keys'), '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n');
      await writeFile(file('other-profile'), '[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n');
      await writeFile(file('config-keys'), '[profile ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n');
      await writeFile(file('role-profile'), '[default]\nrole_arn = arn:aws:iam::111122223333:role/x\nweb_identity_token_file = /t\n');
    });
    const shared = (credentials: string, extra: Record<string, string> = {}) => ({ AWS_SHARED_CREDENTIALS_FILE: file(credentials), AWS_CONFIG_FILE: file('absent'), ...extra });
    const sharedWarning = async (env: Record<string, string>) => (await envCheck(contextFor(env))).findings?.find((f) => f.severity === 'warning' && /static keys \(aws_access_key_id\)/.test(f.cause));

    test('IRSA: names the profile, the file and the SDKs the keys beat, and points at the README section', async () => {
      const w = await sharedWarning(irsaEnv(TOKEN, shared('keys')));
      assert.ok(w, 'warned');
      assert.match(w.cause, new RegExp(`profile "default" in "${file('keys').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
      assert.match(w.cause, /JavaScript \(v2, v3\) and Rust SDKs read this profile before web identity/);
      assert.match(w.cause, /AWS CLI \(botocore\), Java, Go and PHP SDKs try web identity first/);
      assert.match(w.fix, /#probe-green-application-red/);
    });

    test('Pod Identity: every SDK reads the profile before container credentials', async () => {
      const w = await sharedWarning({ ...PI, ...shared('keys') });
      assert.match(w?.cause ?? '', /before container credentials \(EKS Pod Identity\)/);
    });

    test('follows AWS_PROFILE, in the credentials file and in the config file ([profile NAME])', async () => {
      assert.equal(await sharedWarning(irsaEnv(TOKEN, shared('other-profile'))), undefined, 'the default profile has no keys');
      const named = (await sharedWarning(irsaEnv(TOKEN, shared('other-profile', { AWS_PROFILE: 'ci' }))))?.cause ?? '';
      assert.match(named, /profile "ci"/);
      assert.match(named, /JavaScript \(v2, v3\), Rust and Go v2 SDKs read this profile before web identity/, 'Go v2 reads a profile named by AWS_PROFILE first');
      assert.match(named, /the AWS CLI \(botocore\), Java and PHP SDKs try web identity first/);
      const viaConfig = await sharedWarning(irsaEnv(TOKEN, { AWS_SHARED_CREDENTIALS_FILE: file('absent'), AWS_CONFIG_FILE: file('config-keys'), AWS_PROFILE: 'ci' }));
      assert.match(viaConfig?.cause ?? '', /config-keys/);
    });

    test('stays quiet for a profile without keys and for missing files', async () => {
      assert.equal(await sharedWarning(irsaEnv(TOKEN, shared('role-profile'))), undefined);
      assert.equal(await sharedWarning(irsaEnv(TOKEN, shared('absent'))), undefined);
    });
  });
});
