/**
 * IRSA_PROBE_ASSUME_ROLES: the roles a pod's role chains into with
 * sts:AssumeRole (ExternalDNS into a DNS account, External Secrets, CI
 * runners). A comma-separated list of role ARNs, each optionally followed by
 * `#` and the ExternalId the target's trust policy requires:
 *
 *   arn:aws:iam::444455556666:role/dns-writer,arn:aws:iam::777788889999:role/deployer#ci-7f3a
 *
 * Role names and ExternalIds may themselves hold commas, so an entry ends at
 * a comma followed by the next `arn:`.
 *
 * Parsing throws AwsNameError naming the entry and what is wrong.
 */
import { AwsNameError, parseRoleArn, ROLE_ARN_FORM } from './aws-names.js';
import { showList, showValue } from './redact.js';

export interface RoleTarget {
  /** The role ARN as given (the metric label `target`). */
  readonly arn: string;
  readonly partition: string;
  readonly accountId: string;
  readonly roleName: string;
  /** The ExternalId sent with AssumeRole, when the entry has one. */
  readonly externalId?: string;
}

/** Each target costs an STS call per cycle and runs within the check's one timeout. */
export const MAX_ROLE_TARGETS = 10;
/** STS's ExternalId constraint: 2-1224 of [\w+=,.@:/-]. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export const ROLE_TARGETS_FORM = `a comma-separated list of at most ${MAX_ROLE_TARGETS} role ARNs like ${ROLE_ARN_FORM}, each optionally followed by #EXTERNAL_ID (2-1224 letters, digits or _+=,.@:/-), e.g. ${ROLE_ARN_FORM}#my-external-id`;

/** Entries end at a comma followed by `arn:` (role names and ExternalIds may hold commas). */
const ENTRY_END = /,(?=\s*arn:)/;

/** The setting's text with every ExternalId masked, for an error message: an ExternalId is never printed. */
export function maskExternalIds(text: string): string {
  return text
    .split(ENTRY_END)
    .map((entry) => (entry.includes('#') ? `${entry.slice(0, entry.indexOf('#'))}#[redacted]` : entry))
    .join(',');
}

export function parseRoleTargets(text: string): RoleTarget[] {
  const entries = text.split(ENTRY_END).map((e) => e.trim());
  if (entries.length > MAX_ROLE_TARGETS) throw new AwsNameError(`${entries.length} entries, at most ${MAX_ROLE_TARGETS} are allowed`, ROLE_TARGETS_FORM);
  const targets = entries.map((entry, i) => parseEntry(entry, i + 1));
  const seen = new Set<string>();
  for (const [i, t] of targets.entries()) {
    if (seen.has(t.arn)) throw new AwsNameError(`entry ${i + 1}: ${showValue(t.arn)} is listed twice`, ROLE_TARGETS_FORM);
    seen.add(t.arn);
  }
  return targets;
}

function parseEntry(entry: string, n: number): RoleTarget {
  if (entry === '') throw new AwsNameError(`entry ${n} is empty (a stray comma?)`, ROLE_TARGETS_FORM);
  if (entry.endsWith(',')) throw new AwsNameError(`entry ${n} ends with "," (a stray comma? a comma inside a role name or ExternalId cannot end an entry)`, ROLE_TARGETS_FORM);
  const hash = entry.indexOf('#');
  const arnText = hash === -1 ? entry : entry.slice(0, hash);
  const externalId = hash === -1 ? undefined : entry.slice(hash + 1);
  let arn: ReturnType<typeof parseRoleArn>;
  try {
    arn = parseRoleArn(arnText);
  } catch (error) {
    if (error instanceof AwsNameError) throw new AwsNameError(`entry ${n} ${showValue(arnText)}: ${error.message}`, ROLE_TARGETS_FORM);
    throw error;
  }
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    // The value is not shown (it is a shared secret of sorts); the characters it may not hold are.
    const refused = [...new Set(externalId.replace(/[\w+=,.@:/-]/g, ''))];
    const what = refused.length > 0 ? `, among them ${showList(refused)}` : '';
    throw new AwsNameError(`entry ${n}: the ExternalId after "#" must be 2-1224 letters, digits or _+=,.@:/- (found ${externalId.length} characters${what})`, ROLE_TARGETS_FORM);
  }
  return { arn: arn.arn, partition: arn.partition, accountId: arn.accountId, roleName: arn.roleName, ...(externalId === undefined ? {} : { externalId }) };
}
