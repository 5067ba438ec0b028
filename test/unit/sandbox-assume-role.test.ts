import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumeRole } from '../../sandbox/assume-role.js';
import { CredentialStore, type IssuedCredentials } from '../../sandbox/credentials.js';
import { awsPrincipalsOf, type PolicyDocument } from '../../sandbox/policy.js';
import type { Account } from '../../sandbox/scenarios.js';
import { StsError } from '../../sandbox/sts-errors.js';

const SOURCE_ACCOUNT = '111122223333';
const TARGET_ACCOUNT = '444455556666';
const TARGET = `arn:aws:iam::${TARGET_ACCOUNT}:role/irsa-probe-target`;
const USER_ARN = `arn:aws:iam::${SOURCE_ACCOUNT}:user/legacy-app`;
const SOURCE_ROLE = `arn:aws:iam::${SOURCE_ACCOUNT}:role/irsa-probe-demo`;

function trusting(aws: string | string[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: aws }, Action: 'sts:AssumeRole' }] };
}

/** The target account with one role trusting `aws`; its maximum session is 12 hours, so only role chaining caps a session at one. */
function accountsTrusting(aws: string | string[]): Account[] {
  return [{ id: TARGET_ACCOUNT, providers: [], roles: [{ name: 'irsa-probe-target', trustPolicy: trusting(aws), maxSessionDuration: 43_200 }], podIdentityAssociations: [] }];
}

function callers(): { store: CredentialStore; user: IssuedCredentials; session: IssuedCredentials } {
  const store = new CredentialStore();
  const user = store.addUser(SOURCE_ACCOUNT, 'legacy-app');
  const session = store.issue({ accountId: SOURCE_ACCOUNT, roleName: 'irsa-probe-demo', sessionName: 'pod-0', issuer: 'sts' }, 3600);
  return { store, user, session };
}

function params(extra: Record<string, string> = {}): Record<string, string> {
  return { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: TARGET, RoleSessionName: 'legacy', ...extra };
}

function tag(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  assert.ok(m, `no <${name}> in ${xml}`);
  return m[1]!;
}

/** Seconds from now to the answer's Expiration. */
function lifetime(xml: string): number {
  return (Date.parse(tag(xml, 'Expiration')) - Date.now()) / 1000;
}

function refusedWith(code: string, message: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof StsError && error.code === code && message.test(error.message);
}

describe('AssumeRole by an IAM user (a long-term key, not a role session)', () => {
  test("the user's AWS principal forms are its ARN, the account's root and the account ID", () => {
    const { user } = callers();
    assert.deepEqual(awsPrincipalsOf(user), [USER_ARN, `arn:aws:iam::${SOURCE_ACCOUNT}:root`, SOURCE_ACCOUNT]);
  });

  test('a trust policy naming the user admits it', () => {
    const { store, user } = callers();
    const xml = assumeRole(params(), user, accountsTrusting(USER_ARN), store, 'req-1');
    assert.equal(tag(xml, 'Arn'), `arn:aws:sts::${TARGET_ACCOUNT}:assumed-role/irsa-probe-target/legacy`);
    const issued = store.lookup(tag(xml, 'AccessKeyId'), tag(xml, 'SessionToken'));
    assert.equal(issued?.accountId, TARGET_ACCOUNT);
    assert.equal(issued?.roleName, 'irsa-probe-target');
    assert.ok(Math.abs(lifetime(xml) - 3600) <= 2, `default duration is an hour, got ${lifetime(xml)} s`);
  });

  test('a trust policy naming the account root admits the user', () => {
    const { store, user } = callers();
    assert.doesNotThrow(() => assumeRole(params(), user, accountsTrusting(`arn:aws:iam::${SOURCE_ACCOUNT}:root`), store, 'req-2'));
  });

  test('the role-chaining hour does not apply to a user: the role maximum does', () => {
    const { store, user } = callers();
    const xml = assumeRole(params({ DurationSeconds: '7200' }), user, accountsTrusting(USER_ARN), store, 'req-3');
    assert.ok(Math.abs(lifetime(xml) - 7200) <= 2, `expected two hours, got ${lifetime(xml)} s`);
    assert.throws(() => assumeRole(params({ DurationSeconds: '43201' }), user, accountsTrusting(USER_ARN), store, 'req-4'), refusedWith('ValidationError', /durationSeconds/));
  });

  test("a policy naming a role does not admit the user, and the refusal names the user's ARN", () => {
    const { store, user } = callers();
    assert.throws(
      () => assumeRole(params(), user, accountsTrusting([SOURCE_ROLE, `arn:aws:iam::${SOURCE_ACCOUNT}:role/`]), store, 'req-5'),
      refusedWith('AccessDenied', new RegExp(`^User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${TARGET}$`)),
    );
  });
});

describe('AssumeRole by a role session (role chaining)', () => {
  test('a policy naming only the user does not admit a role session', () => {
    const { store, session } = callers();
    assert.throws(() => assumeRole(params(), session, accountsTrusting(USER_ARN), store, 'req-6'), refusedWith('AccessDenied', /assumed-role\/irsa-probe-demo\/pod-0 is not authorized/));
  });

  test('a chained session lasts at most an hour, whatever the role maximum', () => {
    const { store, session } = callers();
    assert.ok(Math.abs(lifetime(assumeRole(params({ DurationSeconds: '3600' }), session, accountsTrusting(SOURCE_ROLE), store, 'req-7')) - 3600) <= 2);
    assert.throws(() => assumeRole(params({ DurationSeconds: '7200' }), session, accountsTrusting(SOURCE_ROLE), store, 'req-8'), refusedWith('ValidationError', /1 hour session limit for roles assumed by role chaining/));
  });
});

describe('AssumeRole input validation (shared with AssumeRoleWithWebIdentity)', () => {
  const { store, session } = callers();
  const accounts = accountsTrusting(SOURCE_ROLE);
  test('every violated constraint is listed in one ValidationError, in AWS order', () => {
    assert.throws(
      () => assumeRole({ RoleArn: 'short', RoleSessionName: 'bad name', ExternalId: 'x', DurationSeconds: '60' }, session, accounts, store, 'req-9'),
      refusedWith('ValidationError', /^4 validation errors detected: Value 'short' at 'roleArn' .*length greater than or equal to 20; Value 'x' at 'externalId' .*; Value 'bad name' at 'roleSessionName' .*pattern.*; Value '60' at 'durationSeconds' .*greater than or equal to 900$/),
    );
  });

  test('a well-sized but malformed role ARN is "Request ARN is invalid"', () => {
    for (const arn of ['arn:aws:iam::1111:role/short-account', `arn:aws:iam::${TARGET_ACCOUNT}:user/irsa-probe-target`, `arn:aws:sts::${TARGET_ACCOUNT}:role/irsa-probe-target`]) {
      assert.throws(() => assumeRole(params({ RoleArn: arn }), session, accounts, store, 'req-10'), refusedWith('ValidationError', /^Request ARN is invalid$/), arn);
    }
  });

  test('a role ARN with a path names the role', () => {
    assert.doesNotThrow(() => assumeRole(params({ RoleArn: `arn:aws:iam::${TARGET_ACCOUNT}:role/team/irsa-probe-target` }), session, accounts, store, 'req-11'));
  });
});
