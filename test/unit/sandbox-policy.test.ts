import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awsPrincipalsOf, evaluate, irsaTrustPolicy, roleChainTrustPolicy, wildcard, type AuthorizationRequest, type Decision, type PolicyDocument } from '../../sandbox/policy.js';
import { parsePolicyDocument, PolicyDocumentError } from '../../sandbox/policy-document.js';

const HOST = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE';
const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${HOST}`;
const SUB = 'system:serviceaccount:default:irsa-probe-demo';

function request(sub = SUB, aud = 'sts.amazonaws.com', federated = PROVIDER): AuthorizationRequest {
  return { action: 'sts:AssumeRoleWithWebIdentity', principal: { federated }, context: { [`${HOST}:sub`]: sub, [`${HOST}:aud`]: aud } };
}

function policyWith(condition: Record<string, Record<string, string | string[]>>, extra: Partial<PolicyDocument['Statement'][number]> = {}): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition, ...extra }] };
}

describe('trust policy evaluation', () => {
  const exact = irsaTrustPolicy({ providerArn: PROVIDER, issuerHostPath: HOST, subject: SUB, audience: 'sts.amazonaws.com' });
  const cases: Array<[string, PolicyDocument, AuthorizationRequest, Decision]> = [
    ['the eksctl-style policy admits its own service account', exact, request(), 'allow'],
    ['a different service account is not admitted', exact, request('system:serviceaccount:default:other'), 'implicit-deny'],
    ['a different namespace is not admitted', exact, request('system:serviceaccount:prod:irsa-probe-demo'), 'implicit-deny'],
    ['a different audience is not admitted', exact, request(SUB, 'api.example.com'), 'implicit-deny'],
    ['a provider ARN typo (another principal) is not admitted', exact, request(SUB, 'sts.amazonaws.com', `${PROVIDER}X`), 'implicit-deny'],
    ['StringLike matches a wildcard subject', policyWith({ StringLike: { [`${HOST}:sub`]: 'system:serviceaccount:default:*' } }), request(), 'allow'],
    ['StringEquals with a wildcard is literal (the classic mistake)', policyWith({ StringEquals: { [`${HOST}:sub`]: 'system:serviceaccount:default:*' } }), request(), 'implicit-deny'],
    ['a list of values matches any of them', policyWith({ StringEquals: { [`${HOST}:sub`]: ['system:serviceaccount:a:b', SUB] } }), request(), 'allow'],
    ['every condition must hold', policyWith({ StringEquals: { [`${HOST}:sub`]: SUB, [`${HOST}:aud`]: 'other' } }), request(), 'implicit-deny'],
    ['a condition on a missing key fails', policyWith({ StringEquals: { [`${HOST}:amr`]: 'x' } }), request(), 'implicit-deny'],
    ['a negated condition on a missing key holds', policyWith({ StringNotEquals: { [`${HOST}:amr`]: 'x' } }), request(), 'allow'],
    ['StringNotLike excludes matching subjects', policyWith({ StringNotLike: { [`${HOST}:sub`]: 'system:serviceaccount:default:*' } }), request(), 'implicit-deny'],
    ['an unknown operator never matches', policyWith({ NumericEquals: { [`${HOST}:sub`]: '1' } }), request(), 'implicit-deny'],
    ['an action wildcard matches', policyWith({}, { Action: 'sts:AssumeRole*' }), request(), 'allow'],
    ['another action does not match', policyWith({}, { Action: 'sts:AssumeRole' }), request(), 'implicit-deny'],
    [
      'an explicit Deny wins over an Allow',
      { Version: '2012-10-17', Statement: [...exact.Statement, { Effect: 'Deny', Principal: '*', Action: 'sts:*' }] },
      request(),
      'explicit-deny',
    ],
  ];
  for (const [name, policy, req, expected] of cases) {
    test(name, () => assert.equal(evaluate(policy, req), expected));
  }

  test('wildcards: * spans any run, ? exactly one character, regex characters are literal', () => {
    assert.ok(wildcard('a*c', 'abbbc', false));
    assert.ok(wildcard('a?c', 'abc', false));
    assert.ok(!wildcard('a?c', 'abbc', false));
    assert.ok(!wildcard('a.c', 'abc', false));
    assert.ok(wildcard('STS:assume*', 'sts:AssumeRoleWithWebIdentity', true));
  });
});

describe('role chain trust (sts:AssumeRole with AWS principals)', () => {
  const SOURCE = 'arn:aws:iam::111122223333:role/irsa-probe-demo';
  const caller = { accountId: '111122223333', roleName: 'irsa-probe-demo', sessionName: 'irsa-probe-pod-0' };
  const chain = (externalId?: string): AuthorizationRequest => ({ action: 'sts:AssumeRole', principal: { aws: awsPrincipalsOf(caller) }, context: externalId === undefined ? {} : { 'sts:ExternalId': externalId } });
  const trusting = (aws: string | string[], condition?: PolicyDocument['Statement'][number]['Condition']): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: aws }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
  });
  const cases: Array<[string, PolicyDocument, AuthorizationRequest, Decision]> = [
    ['the role ARN admits its sessions', roleChainTrustPolicy({ sourceRoleArn: SOURCE }), chain(), 'allow'],
    ['the exact session ARN admits that session', trusting('arn:aws:sts::111122223333:assumed-role/irsa-probe-demo/irsa-probe-pod-0'), chain(), 'allow'],
    ["the account's root admits every role in it", trusting('arn:aws:iam::111122223333:root'), chain(), 'allow'],
    ['the bare account ID is the root', trusting('111122223333'), chain(), 'allow'],
    ['"*" admits anyone', trusting('*'), chain(), 'allow'],
    ['another role of the same account is not the caller', trusting('arn:aws:iam::111122223333:role/irsa-probe-other'), chain(), 'implicit-deny'],
    ['another account is not the caller', trusting('arn:aws:iam::999999999999:root'), chain(), 'implicit-deny'],
    ['a Federated principal never matches an AWS caller', irsaTrustPolicy({ providerArn: PROVIDER, issuerHostPath: HOST, subject: SUB, audience: 'sts.amazonaws.com' }), chain(), 'implicit-deny'],
    ['the right ExternalId passes its condition', roleChainTrustPolicy({ sourceRoleArn: SOURCE, externalId: 'ext-1' }), chain('ext-1'), 'allow'],
    ['a wrong ExternalId fails it', roleChainTrustPolicy({ sourceRoleArn: SOURCE, externalId: 'ext-1' }), chain('ext-2'), 'implicit-deny'],
    ['a missing ExternalId fails it', roleChainTrustPolicy({ sourceRoleArn: SOURCE, externalId: 'ext-1' }), chain(), 'implicit-deny'],
    ['condition keys are case-insensitive', trusting(SOURCE, { StringEquals: { 'STS:externalid': 'ext-1' } }), chain('ext-1'), 'allow'],
  ];
  for (const [name, policy, req, expected] of cases) test(name, () => assert.equal(evaluate(policy, req), expected));

  test('the admin API accepts IAM-shaped documents and names the first problem of others', () => {
    assert.deepEqual(parsePolicyDocument({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { AWS: SOURCE }, Action: 'sts:AssumeRole' } }).Statement.length, 1);
    const problems: Array<[unknown, RegExp]> = [
      [null, /the policy must be a JSON object/],
      [{ Version: '2008-10-17', Statement: [] }, /Version must be "2012-10-17"/],
      [{ Version: '2012-10-17', Statement: [] }, /Statement must be a statement object or a non-empty list/],
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Principal: '*', Action: 'sts:AssumeRole' }] }, /Statement\[0\]\.Effect must be "Allow" or "Deny"/],
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { User: 'x' }, Action: 'sts:AssumeRole' }] }, /Statement\[0\]\.Principal key "User" must be one of AWS, Federated, Service/],
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: [] }] }, /Statement\[0\]\.Action must be/],
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { k: 1 } } }] }, /Condition\.StringEquals\.k must be a string/],
    ];
    for (const [doc, message] of problems) assert.throws(() => parsePolicyDocument(doc), (e: unknown) => e instanceof PolicyDocumentError && message.test(e.message));
  });
});
