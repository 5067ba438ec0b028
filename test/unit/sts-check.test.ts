import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  GetCallerIdentityCommand,
  IDPCommunicationErrorException,
  InvalidIdentityTokenException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { stsCheck } from '../../src/checks/sts.js';
import { tokenCheck } from '../../src/checks/token.js';
import type { CheckContext } from '../../src/checks/context.js';
import { trustPolicyStatement } from '../../src/diagnose.js';
import { REASONS } from '../../src/types.js';
import { ASSUMED_ARN, contextFor, irsaEnv, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { ISSUER, SUBJECT } from '../helpers/tokens.js';
import { mintedTokenDir } from './fixtures.js';

const sts = mockClient(STSClient);
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'c6104cbe-af31-11e0-8154-cbc7ccf896c7' });
const serviceError = (name: string, message: string, status: number) =>
  new STSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata: meta(status) });
const network = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, name: 'Error' });

const CREDENTIALS = { AccessKeyId: 'ASIAEXAMPLEKEY000001', SecretAccessKey: SECRET_ACCESS_KEY, SessionToken: SESSION_TOKEN, Expiration: new Date(Date.now() + 3600_000) };

describe('sts check', () => {
  const minted = mintedTokenDir();
  afterEach(() => sts.reset());

  /** Runs token then sts, as the probe does, so the cycle carries the token. */
  const run = async (ctx: CheckContext = contextFor(irsaEnv(minted().dir.path))) => {
    assert.equal((await tokenCheck(ctx)).status, 'pass');
    return { ctx, verdict: await stsCheck(ctx) };
  };
  const healthy = () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({ Credentials: CREDENTIALS, AssumedRoleUser: { Arn: ASSUMED_ARN, AssumedRoleId: 'AROA:x' } });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: ASSUMED_ARN, Account: '111122223333', UserId: 'AROA:x' });
  };

  test('assumes the role with the token, then checks the caller identity with the returned credentials', async () => {
    healthy();
    const { verdict } = await run();
    assert.equal(verdict.status, 'pass', verdict.message);
    const assume = sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0]!.args[0].input;
    assert.equal(assume.RoleArn, ROLE_ARN);
    assert.equal(assume.WebIdentityToken, minted().token);
    assert.equal(assume.RoleSessionName, 'irsa-probe-api-0');
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
    assert.ok(!verdict.message.includes(SECRET_ACCESS_KEY) && !verdict.message.includes(minted().token));
  });

  const next = (ctx: CheckContext) => run({ ...ctx, cycle: {} });

  test('assumes the role with the current token every cycle; GetCallerIdentity only on the first success: one STS call per cycle at steady state', async () => {
    healthy();
    const { ctx } = await run();
    for (let i = 0; i < 3; i++) {
      const { verdict } = await next(ctx);
      assert.equal(verdict.status, 'pass', verdict.message);
      assert.match(verdict.message, /identity unchanged/);
    }
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 4);
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
  });

  test('a trust chain broken after the first success fails the very next cycle, although earlier credentials are still valid', async () => {
    healthy();
    const { ctx } = await run();
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(serviceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403));
    const { verdict } = await next(ctx);
    assert.equal(verdict.reason, 'trust_policy_mismatch');
    assert.equal(ctx.state.credentials, undefined);
  });

  const identityCases: Array<[string, (ctx: CheckContext) => void]> = [
    ['the assumed identity changes', () => void sts.on(AssumeRoleWithWebIdentityCommand).resolves({ Credentials: CREDENTIALS, AssumedRoleUser: { Arn: `${ASSUMED_ARN}-2`, AssumedRoleId: 'AROA:y' } })],
    ['the identity interval elapsed', (ctx) => void (ctx.state.identityCheckedAt = Date.now() - ctx.config.identityIntervalMs)],
    ['the previous cycle failed', (ctx) => void (ctx.state.identityCheckedAt = undefined)],
  ];
  for (const [when, change] of identityCases) {
    test(`calls GetCallerIdentity again when ${when}`, async () => {
      healthy();
      const { ctx } = await run();
      change(ctx);
      const { verdict } = await next(ctx);
      assert.equal(verdict.status, 'pass', verdict.message);
      assert.match(verdict.message, /caller identity checked/);
      assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 2);
    });
  }

  test('the identity interval is a lower bound: not elapsed, no GetCallerIdentity', async () => {
    healthy();
    const { ctx } = await run();
    ctx.state.identityCheckedAt = Date.now() - ctx.config.identityIntervalMs + 60_000;
    await next(ctx);
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
  });

  test('Pod Identity: asks the agent every cycle, GetCallerIdentity again only when the access key changes', async () => {
    let key = 'ASIAPODIDENTITY00001';
    const agentCalls: number[] = [];
    const podIdentityCredentials = async () => {
      agentCalls.push(1);
      return { accessKeyId: key, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(Date.now() + 3600_000) };
    };
    const env = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path, AWS_REGION: 'us-west-2', IRSA_PROBE_EXPECTED_ROLE_ARN: ROLE_ARN };
    sts.on(GetCallerIdentityCommand).resolves({ Arn: ASSUMED_ARN, Account: '111122223333', UserId: 'AROA:x' });
    const ctx = contextFor(env, { deps: { podIdentityCredentials } });
    for (let i = 0; i < 3; i++) assert.equal((await stsCheck({ ...ctx, cycle: {} })).status, 'pass');
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
    key = 'ASIAPODIDENTITY00002';
    assert.equal((await stsCheck({ ...ctx, cycle: {} })).status, 'pass');
    assert.equal(agentCalls.length, 4);
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 2);
  });

  const callerFailures: Array<[string, Error, boolean]> = [
    ['throttled', serviceError('Throttling', 'Rate exceeded', 400), true],
    ['timed out', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }), true],
    ['unreachable', network('ECONNREFUSED'), true],
    ['a server error', serviceError('ServiceUnavailable', 'Service is unavailable', 503), true],
    ['an expired session token', serviceError('ExpiredToken', 'The security token included in the request is expired', 400), false],
    ['an unknown session token', serviceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403), false],
  ];
  for (const [what, error, keep] of callerFailures) {
    test(`GetCallerIdentity ${what}: ${keep ? 'keeps the credentials for the checks after sts' : 'drops the credentials'}, and the next cycle checks the identity again`, async () => {
      healthy();
      const { ctx } = await run();
      ctx.state.identityCheckedAt = 0;
      sts.on(GetCallerIdentityCommand).rejects(error);
      const failed = await next(ctx);
      assert.equal(failed.verdict.status, 'fail');
      assert.equal(ctx.state.credentials !== undefined, keep);
      sts.on(GetCallerIdentityCommand).resolves({ Arn: ASSUMED_ARN, Account: '111122223333', UserId: 'AROA:x' });
      const healed = await next(ctx);
      assert.equal(healed.verdict.status, 'pass', healed.verdict.message);
      assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 3);
    });
  }

  const catalogue: Array<[string, Error, string, RegExp]> = [
    ['no OIDC provider', new InvalidIdentityTokenException({ message: `No OpenIDConnect provider found in your account for ${ISSUER}`, $metadata: meta(400) }), 'oidc_provider_missing', /create-open-id-connect-provider --url https:\/\/oidc\.eks/],
    ['a provider without the audience', new InvalidIdentityTokenException({ message: 'Incorrect token audience', $metadata: meta(400) }), 'token_audience', /add-client-id-to-open-id-connect-provider/],
    ['a stale thumbprint', new InvalidIdentityTokenException({ message: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint", $metadata: meta(400) }), 'oidc_thumbprint', /update-open-id-connect-provider-thumbprint/],
    ['unreachable keys', new InvalidIdentityTokenException({ message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements", $metadata: meta(400) }), 'oidc_key_unavailable', /transient/],
    ['IDP communication error', new IDPCommunicationErrorException({ message: 'Could not communicate with the identity provider', $metadata: meta(400) }), 'oidc_key_unavailable', /transient/],
    ['a trust policy for another subject', serviceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403), 'trust_policy_mismatch', /StringEquals/],
    ['a malformed role ARN', serviceError('ValidationError', 'Request ARN is invalid', 400), 'env_invalid', /arn:aws:iam::/],
    ['an expired token', new ExpiredTokenException({ message: 'Token expired: current date/time 1800000000 must be before the expiration date/time 1799990000', $metadata: meta(400) }), 'token_expired', /kubelet/],
    ['STS disabled in the region', new RegionDisabledException({ message: 'STS is not activated in this region for account:111122223333.', $metadata: meta(403) }), 'region_disabled', /Activate STS in us-west-2/],
    ['a region mismatch', serviceError('SignatureDoesNotMatch', "Credential should be scoped to a valid region, not 'us-east-1'.", 403), 'region_mismatch', /AWS_STS_REGIONAL_ENDPOINTS=regional/],
    ['throttling', serviceError('Throttling', 'Rate exceeded', 400), 'throttled', /backs off/],
    ['a timeout', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }), 'timeout', /IRSA_PROBE_TIMEOUT/],
    ['a refused connection', network('ECONNREFUSED'), 'network', /egress/],
    ['a name that does not resolve', network('ENOTFOUND'), 'network', /DNS/],
    ['a 503', serviceError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503), 'sts_unavailable', /retries at the next interval/],
    ['a 500', serviceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500), 'sts_unavailable', /AWS Health Dashboard/],
    ['an unknown client error', serviceError('PackedPolicyTooLarge', 'Packed policy too large.', 400), 'sts_error', /trust policy/],
  ];
  for (const [what, error, reason, fix] of catalogue) {
    test(`maps ${what} to ${reason}`, async () => {
      sts.on(AssumeRoleWithWebIdentityCommand).rejects(error);
      const { ctx, verdict } = await run();
      assert.equal(verdict.status, 'fail');
      assert.equal(verdict.reason, reason);
      assert.ok((REASONS as readonly string[]).includes(reason));
      const finding = verdict.findings?.find((f) => f.severity === 'error');
      assert.match(finding?.fix ?? '', fix);
      assert.equal(ctx.state.credentials, undefined, 'no credentials kept after a failure');
      assert.ok(!JSON.stringify(verdict).includes(minted().token), 'the token never appears in a finding');
      assert.ok(!/\.\./.test(verdict.message), `one full stop after the quoted message: ${verdict.message}`);
    });
  }

  test('prints the trust-policy statement that would match this pod', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(serviceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403));
    const { verdict } = await run();
    const fix = verdict.findings!.find((f) => f.reason === 'trust_policy_mismatch')!.fix;
    const json = JSON.parse(fix.slice(fix.indexOf('{'), fix.lastIndexOf('}') + 1));
    const host = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    assert.deepEqual(json, {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${host}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${host}:sub`]: SUBJECT, [`${host}:aud`]: 'sts.amazonaws.com' } },
    });
  });

  test('trust-policy statement follows the role partition and the token audience', () => {
    const statement = trustPolicyStatement({ roleArn: 'arn:aws-cn:iam::123456789012:role/x', audience: 'custom', claims: { iss: 'https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC', sub: 'system:serviceaccount:a:b', aud: ['custom'] } }) as { Principal: { Federated: string } };
    assert.equal(statement.Principal.Federated, 'arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC');
  });

  test('fails with role_mismatch when the caller is another role', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({ Credentials: CREDENTIALS });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/other-role/sess', Account: '111122223333' });
    const { verdict } = await run();
    assert.equal(verdict.reason, 'role_mismatch');
    assert.match(verdict.message, /not as the expected role arn:aws:iam::111122223333:role\/payments-api/);
  });

  test('fails with role_mismatch when the role is right but the account is not', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({ Credentials: CREDENTIALS });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::999999999999:assumed-role/payments-api/sess', Account: '999999999999' });
    assert.equal((await run()).verdict.reason, 'role_mismatch');
  });

  test('counts every STS request with its outcome', async () => {
    const seen: string[] = [];
    sts.on(AssumeRoleWithWebIdentityCommand).rejectsOnce(serviceError('Throttling', 'Rate exceeded', 400));
    await run(contextFor(irsaEnv(minted().dir.path), { sts: seen }));
    assert.deepEqual(seen, ['AssumeRoleWithWebIdentity:throttled']);
  });
});
