/**
 * Checks a trust-policy document sent to the admin API (the sandbox's
 * `aws iam update-assume-role-policy`): the shape IAM accepts, so a document
 * that would be refused by IAM is refused here too, with the path of the
 * first problem.
 */
import type { PolicyDocument, Statement, StringOrList } from './policy.js';

export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
}

const PRINCIPAL_KINDS = ['AWS', 'Federated', 'Service'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringOrList(value: unknown): value is StringOrList {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));
}

function check(ok: boolean, where: string, expected: string): void {
  if (!ok) throw new PolicyDocumentError(`${where} must be ${expected}`);
}

export function parsePolicyDocument(value: unknown): PolicyDocument {
  check(isRecord(value), 'the policy', 'a JSON object {"Version": "2012-10-17", "Statement": [...]}');
  const doc = value as Record<string, unknown>;
  check(doc.Version === '2012-10-17', 'Version', '"2012-10-17"');
  const statements = isRecord(doc.Statement) ? [doc.Statement] : doc.Statement;
  check(Array.isArray(statements) && statements.length > 0, 'Statement', 'a statement object or a non-empty list of them');
  return { Version: '2012-10-17', Statement: (statements as unknown[]).map((s, i) => parseStatement(s, `Statement[${i}]`)) };
}

function parseStatement(value: unknown, where: string): Statement {
  check(isRecord(value), where, 'an object');
  const s = value as Record<string, unknown>;
  check(s.Effect === 'Allow' || s.Effect === 'Deny', `${where}.Effect`, '"Allow" or "Deny"');
  check(isStringOrList(s.Action), `${where}.Action`, 'an action or a list of actions, e.g. "sts:AssumeRole"');
  const statement: Statement = { Effect: s.Effect as 'Allow' | 'Deny', Action: s.Action as StringOrList, Principal: parsePrincipal(s.Principal, `${where}.Principal`) };
  if (typeof s.Sid === 'string') statement.Sid = s.Sid;
  if (s.Condition !== undefined) statement.Condition = parseCondition(s.Condition, `${where}.Condition`);
  return statement;
}

function parsePrincipal(value: unknown, where: string): Statement['Principal'] {
  if (value === '*') return '*';
  check(isRecord(value) && Object.keys(value).length > 0, where, `"*" or an object with ${PRINCIPAL_KINDS.join(', ')} keys (a trust policy needs a principal)`);
  const principal: Record<string, StringOrList> = {};
  for (const [kind, names] of Object.entries(value as Record<string, unknown>)) {
    check((PRINCIPAL_KINDS as readonly string[]).includes(kind), `${where} key ${JSON.stringify(kind)}`, `one of ${PRINCIPAL_KINDS.join(', ')}`);
    check(isStringOrList(names), `${where}.${kind}`, 'a string or a non-empty list of strings');
    principal[kind] = names as StringOrList;
  }
  return principal;
}

function parseCondition(value: unknown, where: string): Record<string, Record<string, StringOrList>> {
  check(isRecord(value), where, 'an object of operators, e.g. {"StringEquals": {"sts:ExternalId": "..."}}');
  for (const [operator, keys] of Object.entries(value as Record<string, unknown>)) {
    check(isRecord(keys), `${where}.${operator}`, 'an object of condition keys');
    for (const [key, values] of Object.entries(keys as Record<string, unknown>)) check(isStringOrList(values), `${where}.${operator}.${key}`, 'a string or a non-empty list of strings');
  }
  return value as Record<string, Record<string, StringOrList>>;
}
