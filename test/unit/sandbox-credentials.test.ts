import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialStore } from '../../sandbox/credentials.js';

const PRINCIPAL = { accountId: '111122223333', roleName: 'irsa-probe-demo', sessionName: 'irsa-probe-demo-pod-0', issuer: 'sts' as const };

describe('sandbox sessions are verifiable by any sandbox, and by nothing forged', () => {
  const issued = new CredentialStore().issue(PRINCIPAL, 3600, Date.parse('2026-11-30T12:00:00Z'));
  const other = new CredentialStore();

  test('another store recovers the principal, the secret and the expiry from the access key id and the session token', () => {
    assert.deepEqual(other.lookup(issued.accessKeyId, issued.sessionToken), issued);
  });

  test('without a session token an unknown key stays unknown', () => {
    assert.equal(other.lookup(issued.accessKeyId), undefined);
  });

  const forgeries: Array<[string, () => [string, string]]> = [
    ['another access key id', () => [`${issued.accessKeyId.slice(0, -1)}${issued.accessKeyId.endsWith('A') ? 'B' : 'A'}`, issued.sessionToken]],
    ['a token with one character changed', () => {
      const i = Math.floor(issued.sessionToken.length / 2);
      return [issued.accessKeyId, `${issued.sessionToken.slice(0, i)}${issued.sessionToken[i] === 'A' ? 'B' : 'A'}${issued.sessionToken.slice(i + 1)}`];
    }],
    ['a truncated token', () => [issued.accessKeyId, issued.sessionToken.slice(0, -8)]],
    ['garbage', () => [issued.accessKeyId, 'IQoJb3JpZ2luX2VjE!!!']],
    ['an empty token', () => [issued.accessKeyId, '']],
  ];
  for (const [what, forge] of forgeries) {
    test(`rejects ${what}`, () => {
      const [key, token] = forge();
      assert.equal(other.lookup(key, token), undefined);
    });
  }

  test('keys and secrets differ per session and look like AWS ones', () => {
    const second = new CredentialStore().issue(PRINCIPAL, 3600);
    assert.notEqual(second.accessKeyId, issued.accessKeyId);
    assert.notEqual(second.secretAccessKey, issued.secretAccessKey);
    assert.match(issued.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.match(issued.secretAccessKey, /^[A-Za-z0-9/+]{40}$/);
    assert.match(issued.sessionToken, /^IQoJb3JpZ2luX2VjE[A-Za-z0-9/+]+={0,2}$/);
  });
});
