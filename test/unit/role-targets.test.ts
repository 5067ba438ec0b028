import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/settings.js';
import { MAX_ROLE_TARGETS, parseRoleTargets } from '../../src/role-targets.js';
import { configSummary } from '../../src/status.js';

const A = 'arn:aws:iam::444455556666:role/dns-writer';
const B = 'arn:aws-cn:iam::777788889999:role/ci/deployer';

describe('IRSA_PROBE_ASSUME_ROLES', () => {
  test('role ARNs, each optionally with #EXTERNAL_ID; commas inside role names and ExternalIds are kept', () => {
    assert.deepEqual(parseRoleTargets(`${A}, ${B}#ci-7f3a:x/y`), [
      { arn: A, partition: 'aws', accountId: '444455556666', roleName: 'dns-writer' },
      { arn: B, partition: 'aws-cn', accountId: '777788889999', roleName: 'deployer', externalId: 'ci-7f3a:x/y' },
    ]);
    assert.deepEqual(
      parseRoleTargets('arn:aws:iam::444455556666:role/team,a#id,with,commas,arn:aws:iam::444455556666:role/b').map((t) => [t.roleName, t.externalId]),
      [['team,a', 'id,with,commas'], ['b', undefined]],
    );
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a malformed account', 'arn:aws:iam::4444:role/x', /entry 1 "arn:aws:iam::4444:role\/x": the account ID "4444" must be 12 digits/],
    ['not a role', `${A},arn:aws:iam::444455556666:user/bob`, /entry 2 .*must start with "role\/"/],
    ['a stray comma', `${A},,${B}`, /entry 1 ends with ","/],
    ['a leading comma', `,${A}`, /entry 1 is empty/],
    ['a one-character ExternalId', `${A}#x`, /entry 1: the ExternalId after "#" must be 2-1224/],
    ['an ExternalId with a space', `${A}#a b`, /entry 1: the ExternalId .*found 3 characters, among them \[" "\]\)/],
    ['an empty ExternalId', `${A}#`, /found 0 characters\)/],
    ['a duplicate', `${A},${A}#other`, /entry 2: "arn:aws:iam::444455556666:role\/dns-writer" is listed twice/],
    ['too many', Array.from({ length: MAX_ROLE_TARGETS + 1 }, (_, i) => `arn:aws:iam::444455556666:role/r${i}`).join(','), /11 entries, at most 10/],
  ];
  for (const [what, value, detail] of bad) {
    test(`${what}: one ConfigError line naming the setting, the value and the expected form`, () => {
      assert.throws(
        () => loadConfig(['check'], { IRSA_PROBE_ASSUME_ROLES: value }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.setting, 'IRSA_PROBE_ASSUME_ROLES');
          assert.ok(!e.message.includes('\n'));
          assert.match(e.message, /^IRSA_PROBE_ASSUME_ROLES=".*" is invalid: expected a comma-separated list of at most 10 role ARNs like arn:aws:iam::123456789012:role\/NAME/);
          assert.match(e.message, detail);
          // An ExternalId is never shown (longer ones: "#x" would match any text).
          const externalId = value.includes('#') ? value.slice(value.indexOf('#')) : '';
          if (externalId.length > 2) assert.ok(!e.message.includes(externalId), e.message);
          return true;
        },
      );
    });
  }

  test('the flag wins over the variable; empty or unset is off', () => {
    assert.deepEqual(loadConfig(['check', '--assume-roles', B], { IRSA_PROBE_ASSUME_ROLES: A }).config.assumeRoles.map((t) => t.arn), [B]);
    assert.deepEqual(loadConfig(['check'], { IRSA_PROBE_ASSUME_ROLES: '' }).config.assumeRoles, []);
    assert.deepEqual(loadConfig(['check'], {}).config.assumeRoles, []);
    assert.throws(() => loadConfig(['check', '--assume-roles=nope'], {}), (e: unknown) => e instanceof ConfigError && e.setting === '--assume-roles');
  });

  test('the /status config summary lists the targets and whether each has an ExternalId, never its value', () => {
    const summary = configSummary(loadConfig(['check'], { IRSA_PROBE_ASSUME_ROLES: `${A}#team-secretish-42,${B}` }).config, 'sts.amazonaws.com', 'https://sts.us-west-2.amazonaws.com');
    assert.deepEqual(summary.assumeRoles, [{ arn: A, externalId: true }, { arn: B, externalId: false }]);
    assert.ok(!JSON.stringify(summary).includes('team-secretish-42'));
  });
});
