/**
 * AWS names the probe reads from its environment: role ARNs, assumed-role ARNs,
 * regions, partitions, S3 bucket names, and the STS endpoint the SDK will use.
 * Every parser throws AwsNameError (never a TypeError) and never echoes a huge
 * value: messages say what is wrong, `expected` says what would be right.
 */
import { showValue } from './redact.js';

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'] as const;
export type Partition = (typeof PARTITIONS)[number];

/** Region patterns and DNS suffixes, as in the SDK's own partitions table (@aws-sdk/util-endpoints). Most specific first. */
const PARTITION_TABLE: readonly { readonly id: Partition; readonly regionPattern: RegExp; readonly dnsSuffix: string }[] = [
  { id: 'aws-us-gov', regionPattern: /^us-gov-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com' },
  { id: 'aws-iso', regionPattern: /^us-iso-[a-z]+-\d+$/, dnsSuffix: 'c2s.ic.gov' },
  { id: 'aws-iso-b', regionPattern: /^us-isob-[a-z]+-\d+$/, dnsSuffix: 'sc2s.sgov.gov' },
  { id: 'aws-iso-e', regionPattern: /^eu-isoe-[a-z]+-\d+$/, dnsSuffix: 'cloud.adc-e.uk' },
  { id: 'aws-iso-f', regionPattern: /^us-isof-[a-z]+-\d+$/, dnsSuffix: 'csp.hci.ic.gov' },
  { id: 'aws-eusc', regionPattern: /^eusc-de-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.eu' },
  { id: 'aws-cn', regionPattern: /^cn-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com.cn' },
  { id: 'aws', regionPattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com' },
];

export const ROLE_ARN_FORM = 'arn:aws:iam::123456789012:role/NAME';
export const ASSUMED_ROLE_ARN_FORM = 'arn:aws:sts::123456789012:assumed-role/NAME/SESSION';
export const BUCKET_FORM = 'an S3 bucket name of 3-63 lowercase letters, digits, dots and hyphens that starts and ends with a letter or digit';

/** Longest ARN we look at (IAM's own limit for a role ARN is 2048). */
const MAX_ARN = 2048;

export interface RoleArn {
  readonly arn: string;
  readonly partition: string;
  readonly accountId: string;
  /** IAM path, `/` when the role has none, else e.g. `/service-role/`. */
  readonly path: string;
  readonly roleName: string;
}

export interface AssumedRoleArn {
  readonly arn: string;
  readonly partition: string;
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
}

export class AwsNameError extends Error {
  override readonly name = 'AwsNameError';
  /** What a valid value looks like, e.g. `arn:aws:iam::123456789012:role/NAME`. */
  readonly expected: string;
  constructor(message: string, expected: string) {
    super(message);
    this.expected = expected;
  }
}

const ACCOUNT_ID = /^\d{12}$/;
/** IAM role names: 1-64 of letters, digits and +=,.@_- */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/**
 * Session names in ARNs STS returns. AssumeRole* asks for 2-64 of \w+=,.@-,
 * but this parses STS's own answers (instance IDs, Pod Identity sessions,
 * emulators), so it only requires 1-128 printable characters without "/".
 */
const SESSION_NAME = /^[\x21-\x2e\x30-\x7e]{1,128}$/;
/** One IAM path segment: printable ASCII except `/` (IAM allows U+0021-U+007E). */
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]+$/;
const MAX_PATH = 512;

/** Parses `arn:<partition>:iam::<12 digits>:role/<path/>name`. Throws AwsNameError. */
export function parseRoleArn(text: string): RoleArn {
  const fields = splitArn(text, 'iam', ROLE_ARN_FORM);
  if (fields.region !== '') throw new AwsNameError(`an IAM ARN has no region, found ${showValue(fields.region)}`, ROLE_ARN_FORM);
  if (!fields.resource.startsWith('role/')) throw new AwsNameError(`the resource must start with "role/", found ${showValue(fields.resource)}`, ROLE_ARN_FORM);
  const segments = fields.resource.slice('role/'.length).split('/');
  const roleName = segments.pop() ?? '';
  if (!ROLE_NAME.test(roleName)) throw new AwsNameError(`the role name ${showValue(roleName)} must be 1-64 letters, digits or +=,.@_-`, ROLE_ARN_FORM);
  if (segments.some((s) => !PATH_SEGMENT.test(s))) throw new AwsNameError('the role path has an empty segment or a character outside printable ASCII', ROLE_ARN_FORM);
  const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  if (path.length > MAX_PATH) throw new AwsNameError(`the role path is ${path.length} characters long, at most ${MAX_PATH} are allowed`, ROLE_ARN_FORM);
  return { arn: text, partition: fields.partition, accountId: fields.accountId, path, roleName };
}

/** Parses `arn:<partition>:sts::<12 digits>:assumed-role/<role name>/<session>`. Throws AwsNameError. */
export function parseAssumedRoleArn(text: string): AssumedRoleArn {
  const fields = splitArn(text, 'sts', ASSUMED_ROLE_ARN_FORM);
  if (fields.region !== '') throw new AwsNameError(`an STS ARN has no region, found ${showValue(fields.region)}`, ASSUMED_ROLE_ARN_FORM);
  const parts = fields.resource.split('/');
  if (parts[0] !== 'assumed-role') throw new AwsNameError(`the resource must start with "assumed-role/", found ${showValue(fields.resource)}`, ASSUMED_ROLE_ARN_FORM);
  if (parts.length !== 3) throw new AwsNameError('the resource must be assumed-role/ROLE/SESSION', ASSUMED_ROLE_ARN_FORM);
  const roleName = parts[1] ?? '';
  const sessionName = parts[2] ?? '';
  if (!ROLE_NAME.test(roleName)) throw new AwsNameError(`the role name ${showValue(roleName)} must be 1-64 letters, digits or +=,.@_-`, ASSUMED_ROLE_ARN_FORM);
  if (!SESSION_NAME.test(sessionName)) throw new AwsNameError(`the session name ${showValue(sessionName)} must be 1-128 printable characters without "/"`, ASSUMED_ROLE_ARN_FORM);
  return { arn: text, partition: fields.partition, accountId: fields.accountId, roleName, sessionName };
}

/**
 * Whether `assumedArn` is a session of `role`: the same account and role name
 * (a session ARN carries no role path). Throws AwsNameError when `assumedArn`
 * is not an assumed-role ARN.
 */
export function isSessionOf(assumedArn: string, role: { readonly accountId: string; readonly roleName: string }): boolean {
  const actual = parseAssumedRoleArn(assumedArn);
  return actual.accountId === role.accountId && actual.roleName === role.roleName;
}

interface ArnFields {
  readonly partition: Partition;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

function splitArn(text: string, service: string, form: string): ArnFields {
  if (typeof text !== 'string') throw new AwsNameError(`an ARN must be text, got ${typeof text}`, form);
  if (text === '') throw new AwsNameError('the ARN is empty', form);
  if (text.length > MAX_ARN) throw new AwsNameError(`the ARN is ${text.length} characters long, at most ${MAX_ARN} are allowed`, form);
  if (text !== text.trim()) throw new AwsNameError('the ARN has leading or trailing whitespace', form);
  const parts = text.split(':');
  if (parts[0] !== 'arn' || parts.length !== 6) throw new AwsNameError(`an ARN has 6 colon-separated fields starting with "arn", found ${parts.length}`, form);
  const [, partition = '', arnService = '', region = '', accountId = '', resource = ''] = parts;
  if (!isPartition(partition)) throw new AwsNameError(`the partition ${showValue(partition)} is not one of ${PARTITIONS.join(', ')}`, form);
  if (arnService !== service) throw new AwsNameError(`the service must be "${service}", found ${showValue(arnService)}`, form);
  if (!ACCOUNT_ID.test(accountId)) throw new AwsNameError(`the account ID ${showValue(accountId)} must be 12 digits`, form);
  return { partition, region, accountId, resource };
}

export function isPartition(text: string): text is Partition {
  return (PARTITIONS as readonly string[]).includes(text);
}

/** True for a region name of a known partition: us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1 … (pseudo regions such as aws-global are not regions). */
export function isRegion(text: string): boolean {
  return typeof text === 'string' && text.length <= 64 && PARTITION_TABLE.some((p) => p.regionPattern.test(text));
}

/** The partition a region belongs to; unknown regions fall back to `aws`, as the SDK does. */
export function partitionOfRegion(region: string): string {
  return partitionEntry(region).id;
}

/** The DNS suffix of a region's partition: amazonaws.com, amazonaws.com.cn, … */
export function dnsSuffixOfRegion(region: string): string {
  return partitionEntry(region).dnsSuffix;
}

function partitionEntry(region: string): (typeof PARTITION_TABLE)[number] {
  const aws = PARTITION_TABLE[PARTITION_TABLE.length - 1]!;
  if (typeof region !== 'string' || region.length > 64) return aws;
  return PARTITION_TABLE.find((p) => p.regionPattern.test(region)) ?? aws;
}

/** Region the SDK v3 STS client falls back to when none is configured for a web-identity provider. */
export const STS_FALLBACK_REGION = 'us-east-1';

/**
 * The STS endpoint the AWS SDK for JavaScript v3 sends requests to.
 *
 * Order: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional
 * endpoint `https://sts.<region>.<partition DNS suffix>`. SDK v3 is regional by
 * default: its STS ruleset has a UseGlobalEndpoint parameter, but v3 does not
 * set it from AWS_STS_REGIONAL_ENDPOINTS, so `legacy` only changes SDK v2 (and
 * other SDKs) and is ignored here. `regionalEndpoints` stays in the signature
 * so callers pass what the environment says and the choice is documented in
 * one place. With no region the SDK's web-identity STS client uses us-east-1.
 */
export function stsEndpointFor(region: string | undefined, endpointUrlSts?: string, endpointUrl?: string): string {
  if (endpointUrlSts) return endpointUrlSts;
  if (endpointUrl) return endpointUrl;
  const effective = region ? region : STS_FALLBACK_REGION;
  if (effective === 'aws-global') return 'https://sts.amazonaws.com';
  return `https://sts.${effective}.${dnsSuffixOfRegion(effective)}`;
}

const BUCKET_CHARS = /^[a-z0-9.-]+$/;
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
/** Names ending like this address something other than a general purpose bucket, but S3 calls accept them in place of a bucket. */
const ALIAS_SUFFIXES = ['-s3alias', '--ol-s3'];
const DIRECTORY_BUCKET = /^[a-z0-9][a-z0-9-]*--[a-z0-9-]+--x-s3$/;
const ACCESS_POINT_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):s3(-object-lambda)?:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]{3,50}$/;

/**
 * Validates what the probe passes as `Bucket`: a general purpose bucket name
 * (S3 naming rules), a directory bucket (`name--zone--x-s3`), an access point
 * alias (`…-s3alias`, `…--ol-s3`) or an access point ARN. Returns the name; throws AwsNameError.
 */
export function parseBucketName(text: string): string {
  const problem = bucketProblem(text);
  if (problem !== undefined) throw new AwsNameError(problem, BUCKET_FORM);
  return text;
}

function bucketProblem(text: string): string | undefined {
  if (typeof text !== 'string') return `a bucket name must be text, got ${typeof text}`;
  if (text.startsWith('arn:')) return ACCESS_POINT_ARN.test(text) ? undefined : 'an ARN in place of a bucket must be an S3 access point ARN (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME)';
  if (text.length < 3 || text.length > 63) return `a bucket name has 3 to 63 characters, found ${text.length}`;
  if (!BUCKET_CHARS.test(text)) return /[A-Z]/.test(text) ? 'uppercase letters are not allowed' : 'only lowercase letters, digits, dots and hyphens are allowed';
  if (!/^[a-z0-9]/.test(text) || !/[a-z0-9]$/.test(text)) return 'it must start and end with a letter or digit';
  if (text.includes('..')) return 'two adjacent dots are not allowed';
  if (IPV4_LIKE.test(text)) return 'it must not look like an IP address';
  const reserved = RESERVED_PREFIXES.find((p) => text.startsWith(p));
  if (reserved !== undefined) return `the prefix ${showValue(reserved)} is reserved`;
  if (text.endsWith('.mrap')) return 'the suffix ".mrap" is reserved for multi-region access point aliases';
  if (text.endsWith('--x-s3') && !DIRECTORY_BUCKET.test(text)) return 'a directory bucket name must have the form NAME--ZONE-ID--x-s3';
  if (ALIAS_SUFFIXES.some((s) => text.endsWith(s)) || text.endsWith('--x-s3')) return undefined;
  if (text.endsWith('--table-s3')) return 'the suffix "--table-s3" is reserved for table buckets';
  return undefined;
}

