/**
 * The second account: a role the pod's role chains into with sts:AssumeRole,
 * as ExternalDNS, External Secrets or CI runners do. Its trust policy names the
 * pod's role (an `AWS` principal), except in the `target-denied` scenario,
 * where it names another role of the pod's account.
 */
import { OTHER_SOURCE_ROLE_NAME, roleArn, TARGET_ACCOUNT_ID, TARGET_ROLE_NAME } from './defaults.js';
import { roleChainTrustPolicy } from './policy.js';
import type { Account, ScenarioName, WorldFacts } from './scenarios.js';

export function targetAccount(scenario: ScenarioName, facts: WorldFacts): Account {
  const source = roleArn(facts.accountId, scenario === 'target-denied' ? OTHER_SOURCE_ROLE_NAME : facts.roleName);
  return {
    id: TARGET_ACCOUNT_ID,
    providers: [],
    roles: [{ name: TARGET_ROLE_NAME, trustPolicy: roleChainTrustPolicy({ sourceRoleArn: source }), maxSessionDuration: 3600 }],
    podIdentityAssociations: [],
  };
}
