import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluate, irsaTrustPolicy, wildcard, type AuthorizationRequest, type Decision, type PolicyDocument } from '../../sandbox/policy.js';

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
