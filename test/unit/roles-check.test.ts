import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parse as shellParse } from 'shell-quote';
import { rolesCheck } from '../../src/checks/roles.js';
import type { CheckContext, ProbeState } from '../../src/checks/context.js';
import { REASONS } from '../../src/types.js';
import { contextFor, irsaEnv, ROLE_ARN, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';

const sts = mockClient(STSClient);
const TARGET = 'arn:aws:iam::444455556666:role/dns-writer';
const OTHER = 'arn:aws:iam::777788889999:role/deployer';
const SESSION = 'irsa-probe-api-0';
const assumedOf = (arn: string) => arn.replace(/^arn:aws:iam::(\d+):role\/(?:.*\/)?([^/]+)$/, `arn:aws:sts::$1:assumed-role/$2/${SESSION}`);
const TARGET_SECRET = 'tArGeTsEcReTkEyExAmPlE0123456789abcdefgh';
const TARGET_TOKEN = 'IQoJb3JpZ2luX2VjETARGETSESSIONTOKENEXAMPLE';
const SOURCE = { accessKeyId: 'ASIASOURCEKEY0000001', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, expiration: new Date(Date.now() + 3600_000) };
const serviceError = (name: string, message: string, status: number) => new STSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata: { httpStatusCode: status } });
const denied = (target: string) => serviceError('AccessDenied', `User: ${assumedOf(ROLE_ARN)} is not authorized to perform: sts:AssumeRole on resource: ${target}`, 403);

/** AssumeRole answers like STS for each target; GetCallerIdentity answers for the key it is signed with. */
function healthy(): void {
  let n = 0;
  const byKey = new Map<string, string>();
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const key = `ASIATARGETKEY${String(++n).padStart(7, '0')}`;
    byKey.set(key, assumedOf(input.RoleArn));
    return { Credentials: { AccessKeyId: key, SecretAccessKey: TARGET_SECRET, SessionToken: TARGET_TOKEN, Expiration: new Date(Date.now() + 900_000) }, AssumedRoleUser: { Arn: assumedOf(input.RoleArn), AssumedRoleId: `AROA:${SESSION}` } };
  });
  sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
    const credentials = await (getClient().config.credentials as () => Promise<{ accessKeyId: string }>)();
    const arn = byKey.get(credentials.accessKeyId);
    return { Arn: arn, Account: /::(\d{12}):/.exec(arn ?? '')?.[1], UserId: 'AROA:x' };
  });
}

function context(assumeRoles: string, opts: { now?: () => number; state?: ProbeState; calls?: string[] } = {}): CheckContext {
  const state = opts.state ?? { stsEndpoint: 'https://sts.us-west-2.amazonaws.com', credentials: SOURCE };
  return contextFor(irsaEnv('/unused', { IRSA_PROBE_ASSUME_ROLES: assumeRoles }), { state, now: opts.now, sts: opts.calls });
}

describe('roles check', () => {
  afterEach(() => sts.reset());

  test('assumes each target with the pod role credentials for 900 s under the pod session name, and proves the identity', async () => {
    healthy();
    const calls: string[] = [];
    const verdict = await rolesCheck(context(`${TARGET},${OTHER}#ci-7f3a`, { calls }));
    assert.equal(verdict.status, 'pass', verdict.message);
    const inputs = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      inputs.map((i) => [i.RoleArn, i.RoleSessionName, i.DurationSeconds, i.ExternalId]),
      [[TARGET, SESSION, 900, undefined], [OTHER, SESSION, 900, 'ci-7f3a']],
    );
    assert.ok(verdict.message.includes('assumed arn:aws:sts::444455556666:assumed-role/dns-writer/irsa-probe-api-0'), verdict.message);
    assert.deepEqual(verdict.targets?.map((t) => [t.target, t.status]), [[TARGET, 'pass'], [OTHER, 'pass']]);
    assert.deepEqual(calls.filter((c) => c.startsWith('AssumeRole:')), ['AssumeRole:success', 'AssumeRole:success']);
  });

  test('a steady cycle costs one AssumeRole per target: GetCallerIdentity only at first, and again once the identity interval has passed', async () => {
    healthy();
    let clock = Date.now();
    const state: ProbeState = { stsEndpoint: 'https://sts.us-west-2.amazonaws.com', credentials: SOURCE };
    const ctx = context(TARGET, { state, now: () => clock });
    for (let cycle = 0; cycle < 5; cycle++) {
      assert.equal((await rolesCheck(ctx)).status, 'pass');
      clock += 60_000;
    }
    assert.equal(sts.commandCalls(AssumeRoleCommand).length, 5, 'the trust policy is evaluated every cycle');
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
    clock += ctx.config.identityIntervalMs;
    await rolesCheck(ctx);
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 2);
  });

  test('AccessDenied is role_chain_denied; the fix holds the target trust statement (<EXTERNAL_ID> standing for the configured value, which is never printed) and the source permission, as JSON and quoted commands', async () => {
    sts.on(AssumeRoleCommand).rejects(denied(OTHER));
    const verdict = await rolesCheck(context(`${OTHER}#ci-7f3a`));
    assert.equal(verdict.status, 'fail');
    assert.equal(verdict.reason, 'role_chain_denied');
    const [finding] = verdict.findings ?? [];
    assert.ok(finding);
    assert.equal(finding.check, 'roles');
    const blocks = [...finding.fix.matchAll(/^ {2}\{$[\s\S]*?^ {2}\}$/gm)].map((m) => JSON.parse(m[0]) as Record<string, unknown>);
    assert.deepEqual(blocks[0], { Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': '<EXTERNAL_ID>' } } });
    assert.ok(!JSON.stringify(verdict).includes('ci-7f3a'), 'the ExternalId value is in the verdict');
    assert.deepEqual(blocks[1], { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: OTHER }] });
    assert.ok(finding.fix.includes('In account 777788889999'), finding.fix);
    assert.match(finding.cause, /AccessDenied \(HTTP 403\).*is not authorized to perform: sts:AssumeRole/);
  });

  test('printed commands are shell-quoted: a role name with shell-special characters parses back to itself', async () => {
    const odd = 'arn:aws:iam::444455556666:role/team=a,b@c';
    sts.on(AssumeRoleCommand).rejects(denied(odd));
    const verdict = await rolesCheck(context(odd));
    const fix = verdict.findings?.[0]?.fix ?? '';
    const command = /aws iam get-role --role-name (\S+)/.exec(fix)?.[0] ?? '';
    assert.deepEqual(shellParse(command), ['aws', 'iam', 'get-role', '--role-name', 'team=a,b@c']);
  });

  const classified: Array<[string, Error, string]> = [
    ['a refused ExternalId', serviceError('ValidationError', "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2", 400), 'role_chain_external_id'],
    ['a duration above the target maximum', serviceError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.', 400), 'role_chain_duration'],
    ['throttling', serviceError('Throttling', 'Rate exceeded', 400), 'throttled'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), 'network'],
    ['an STS server error (AWS-side)', serviceError('InternalFailure', 'internal', 500), 'sts_unavailable'],
  ];
  for (const [what, error, reason] of classified) {
    test(`${what} is ${reason}`, async () => {
      sts.on(AssumeRoleCommand).rejects(error);
      const verdict = await rolesCheck(context(TARGET));
      assert.equal(verdict.status, 'fail');
      assert.ok((REASONS as readonly string[]).includes(verdict.reason ?? ''));
      assert.equal(verdict.reason, reason);
    });
  }

  test('throttling keeps the verified identity (the retry costs no GetCallerIdentity); AccessDenied drops it', async () => {
    healthy();
    const ctx = context(TARGET);
    await rolesCheck(ctx);
    const verifications = () => sts.commandCalls(GetCallerIdentityCommand).length;
    sts.on(AssumeRoleCommand).rejects(serviceError('Throttling', 'Rate exceeded', 400));
    assert.equal((await rolesCheck(ctx)).reason, 'throttled');
    healthy();
    assert.equal((await rolesCheck(ctx)).status, 'pass');
    assert.equal(verifications(), 1);
    sts.on(AssumeRoleCommand).rejects(denied(TARGET));
    assert.equal((await rolesCheck(ctx)).reason, 'role_chain_denied');
    healthy();
    assert.equal((await rolesCheck(ctx)).status, 'pass');
    assert.equal(verifications(), 2);
  });

  test('one failing target of two fails the check with its reason; the other still passes', async () => {
    healthy();
    sts.on(AssumeRoleCommand, { RoleArn: OTHER }).rejects(denied(OTHER));
    const verdict = await rolesCheck(context(`${TARGET},${OTHER}`));
    assert.equal(verdict.status, 'fail');
    assert.equal(verdict.reason, 'role_chain_denied');
    assert.deepEqual(verdict.targets?.map((t) => [t.target, t.status]), [[TARGET, 'pass'], [OTHER, 'fail']]);
    assert.equal(verdict.findings?.length, 1);
    assert.match(verdict.message, /^1 of 2 target roles failed: /);
  });

  test('a failed GetCallerIdentity with the target credentials is named as such, with the STS reason', async () => {
    healthy();
    sts.on(GetCallerIdentityCommand).rejects(serviceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403));
    const verdict = await rolesCheck(context(TARGET));
    assert.equal(verdict.reason, 'region_mismatch');
    assert.match(verdict.findings?.[0]?.cause ?? '', /^GetCallerIdentity as arn:aws:iam::444455556666:role\/dns-writer at .* answered InvalidClientTokenId/);
  });

  test('an identity that is not a session of the target is role_mismatch', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAX', SecretAccessKey: TARGET_SECRET, SessionToken: TARGET_TOKEN, Expiration: new Date() } });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::444455556666:assumed-role/someone-else/s', Account: '444455556666', UserId: 'x' });
    const verdict = await rolesCheck(context(TARGET));
    assert.equal(verdict.reason, 'role_mismatch');
    assert.match(verdict.findings?.[0]?.cause ?? '', /is not a session of arn:aws:iam::444455556666:role\/dns-writer/);
  });

  test('skips without targets, and without the pod role credentials', async () => {
    assert.equal((await rolesCheck(context(''))).status, 'skip');
    assert.equal((await rolesCheck(context(TARGET, { state: { stsEndpoint: 'x' } }))).status, 'skip');
    assert.equal(sts.commandCalls(AssumeRoleCommand).length, 0);
  });

  test('no key or session token, source or target, in any message, cause or fix', async () => {
    healthy();
    sts.on(AssumeRoleCommand, { RoleArn: OTHER }).rejects(denied(OTHER));
    const verdict = await rolesCheck(context(`${TARGET},${OTHER}`));
    const text = JSON.stringify(verdict);
    for (const secret of [SECRET_ACCESS_KEY, SESSION_TOKEN, TARGET_SECRET, TARGET_TOKEN]) assert.ok(!text.includes(secret), secret);
  });
});
