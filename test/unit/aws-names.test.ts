import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ASSUMED_ROLE_ARN_FORM,
  AwsNameError,
  BUCKET_FORM,
  dnsSuffixOfRegion,
  isRegion,
  parseAssumedRoleArn,
  parseBucketName,
  parseRoleArn,
  partitionOfRegion,
  ROLE_ARN_FORM,
  stsEndpointFor,
} from '../../src/aws-names.js';

function assertNameError(fn: () => unknown, message: RegExp, expected: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AwsNameError, `not an AwsNameError: ${String(error)}`);
    assert.match(error.message, message);
    assert.equal(error.expected, expected);
    return true;
  });
}

describe('parseRoleArn', () => {
  const valid: Array<[string, { partition: string; accountId: string; path: string; roleName: string }]> = [
    ['arn:aws:iam::111122223333:role/payments-api', { partition: 'aws', accountId: '111122223333', path: '/', roleName: 'payments-api' }],
    ['arn:aws:iam::111122223333:role/service-role/app', { partition: 'aws', accountId: '111122223333', path: '/service-role/', roleName: 'app' }],
    ['arn:aws:iam::111122223333:role/a/b/c/Name+=,.@_-1', { partition: 'aws', accountId: '111122223333', path: '/a/b/c/', roleName: 'Name+=,.@_-1' }],
    ['arn:aws-cn:iam::123456789012:role/cn-role', { partition: 'aws-cn', accountId: '123456789012', path: '/', roleName: 'cn-role' }],
    ['arn:aws-us-gov:iam::123456789012:role/gov', { partition: 'aws-us-gov', accountId: '123456789012', path: '/', roleName: 'gov' }],
    ['arn:aws-iso:iam::123456789012:role/r', { partition: 'aws-iso', accountId: '123456789012', path: '/', roleName: 'r' }],
    ['arn:aws-iso-b:iam::123456789012:role/r', { partition: 'aws-iso-b', accountId: '123456789012', path: '/', roleName: 'r' }],
    ['arn:aws-iso-e:iam::123456789012:role/r', { partition: 'aws-iso-e', accountId: '123456789012', path: '/', roleName: 'r' }],
    ['arn:aws-iso-f:iam::123456789012:role/r', { partition: 'aws-iso-f', accountId: '123456789012', path: '/', roleName: 'r' }],
    ['arn:aws-eusc:iam::123456789012:role/r', { partition: 'aws-eusc', accountId: '123456789012', path: '/', roleName: 'r' }],
    [`arn:aws:iam::123456789012:role/${'n'.repeat(64)}`, { partition: 'aws', accountId: '123456789012', path: '/', roleName: 'n'.repeat(64) }],
  ];
  for (const [arn, parts] of valid) {
    test(`parses ${arn.slice(0, 60)}`, () => assert.deepEqual(parseRoleArn(arn), { arn, ...parts }));
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['an empty string', '', /the ARN is empty/],
    ['a role name alone', 'payments-api', /6 colon-separated fields starting with "arn", found 1/],
    ['an unknown partition', 'arn:aws-mars:iam::123456789012:role/r', /the partition "aws-mars" is not one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc/],
    ['another service', 'arn:aws:sts::123456789012:role/r', /the service must be "iam", found "sts"/],
    ['a short account ID', 'arn:aws:iam::1234:role/x', /the account ID "1234" must be 12 digits/],
    ['a non-numeric account ID', 'arn:aws:iam::12345678901a:role/x', /the account ID "12345678901a" must be 12 digits/],
    ['a region', 'arn:aws:iam:us-east-1:123456789012:role/r', /an IAM ARN has no region, found "us-east-1"/],
    ['a user instead of a role', 'arn:aws:iam::123456789012:user/bob', /the resource must start with "role\/", found "user\/bob"/],
    ['an empty role name', 'arn:aws:iam::123456789012:role/', /the role name "" must be 1-64/],
    ['a role name with a space', 'arn:aws:iam::123456789012:role/my role', /the role name "my role" must be 1-64/],
    ['a role name over 64 characters', `arn:aws:iam::123456789012:role/${'n'.repeat(65)}`, /the role name "n{65}" must be 1-64/],
    ['an empty path segment', 'arn:aws:iam::123456789012:role//r', /empty segment/],
    ['a non-ASCII path', 'arn:aws:iam::123456789012:role/pä/r', /outside printable ASCII/],
    ['surrounding whitespace', ' arn:aws:iam::123456789012:role/r', /leading or trailing whitespace/],
    ['a trailing newline', 'arn:aws:iam::123456789012:role/r\n', /leading or trailing whitespace/],
    ['an extra colon', 'arn:aws:iam::123456789012:role/r:x', /found 7/],
    ['an over-long path', `arn:aws:iam::123456789012:role/${'p/'.repeat(300)}r`, /the role path is 601 characters long, at most 512/],
  ];
  for (const [what, arn, message] of invalid) {
    test(`rejects ${what}`, () => assertNameError(() => parseRoleArn(arn), message, ROLE_ARN_FORM));
  }

  test('rejects a huge value without echoing it', () => {
    const huge = `arn:aws:iam::123456789012:role/${'x'.repeat(1_000_000)}`;
    assert.throws(() => parseRoleArn(huge), (error: unknown) => {
      assert.ok(error instanceof AwsNameError);
      assert.ok(error.message.length < 200, error.message.slice(0, 200));
      return true;
    });
  });
});

describe('parseAssumedRoleArn', () => {
  test('parses an assumed-role ARN into role and session', () => {
    const arn = 'arn:aws:sts::111122223333:assumed-role/payments-api/irsa-probe-api-0';
    assert.deepEqual(parseAssumedRoleArn(arn), { arn, partition: 'aws', accountId: '111122223333', roleName: 'payments-api', sessionName: 'irsa-probe-api-0' });
  });
  test('accepts the session names STS returns for nodes and Pod Identity', () => {
    assert.equal(parseAssumedRoleArn('arn:aws:sts::111122223333:assumed-role/eks-node/i-0abc1234def567890').sessionName, 'i-0abc1234def567890');
    assert.equal(parseAssumedRoleArn('arn:aws-cn:sts::111122223333:assumed-role/r/eks-cluster-pod-1a2b').partition, 'aws-cn');
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['a role ARN', 'arn:aws:iam::111122223333:role/r', /the service must be "sts", found "iam"/],
    ['a federated user', 'arn:aws:sts::111122223333:federated-user/bob', /must start with "assumed-role\/"/],
    ['a missing session', 'arn:aws:sts::111122223333:assumed-role/r', /assumed-role\/ROLE\/SESSION/],
    ['an extra segment', 'arn:aws:sts::111122223333:assumed-role/r/s/t', /assumed-role\/ROLE\/SESSION/],
    ['an empty session', 'arn:aws:sts::111122223333:assumed-role/r/', /the session name "" must be/],
    ['an empty role', 'arn:aws:sts::111122223333:assumed-role//s', /the role name "" must be/],
    ['a bad account', 'arn:aws:sts::11112222333:assumed-role/r/s', /must be 12 digits/],
    ['a region', 'arn:aws:sts:us-east-1:111122223333:assumed-role/r/s', /an STS ARN has no region/],
  ];
  for (const [what, arn, message] of invalid) {
    test(`rejects ${what}`, () => assertNameError(() => parseAssumedRoleArn(arn), message, ASSUMED_ROLE_ARN_FORM));
  }
});

describe('regions and partitions', () => {
  const regions: Array<[string, string, string]> = [
    ['us-east-1', 'aws', 'amazonaws.com'],
    ['eu-central-2', 'aws', 'amazonaws.com'],
    ['ap-southeast-7', 'aws', 'amazonaws.com'],
    ['mx-central-1', 'aws', 'amazonaws.com'],
    ['il-central-1', 'aws', 'amazonaws.com'],
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com'],
    ['cn-north-1', 'aws-cn', 'amazonaws.com.cn'],
    ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn'],
    ['us-iso-east-1', 'aws-iso', 'c2s.ic.gov'],
    ['us-isob-east-1', 'aws-iso-b', 'sc2s.sgov.gov'],
    ['eu-isoe-west-1', 'aws-iso-e', 'cloud.adc-e.uk'],
    ['us-isof-south-1', 'aws-iso-f', 'csp.hci.ic.gov'],
    ['eusc-de-east-1', 'aws-eusc', 'amazonaws.eu'],
  ];
  for (const [region, partition, suffix] of regions) {
    test(`${region} is a region of ${partition} under ${suffix}`, () => {
      assert.equal(isRegion(region), true);
      assert.equal(partitionOfRegion(region), partition);
      assert.equal(dnsSuffixOfRegion(region), suffix);
    });
  }

  for (const notRegion of ['', 'mars-1', 'us-east', 'US-EAST-1', 'us-east-1 ', 'useast1', 'aws-global', 'us-east-1a', 'xx-east-1', 'eusc-fr-east-1', 'us-east-1\n']) {
    test(`${JSON.stringify(notRegion)} is not a region`, () => assert.equal(isRegion(notRegion), false));
  }

  test('an unknown region falls back to the aws partition, as the SDK does', () => {
    assert.equal(partitionOfRegion('mars-1'), 'aws');
    assert.equal(dnsSuffixOfRegion('mars-1'), 'amazonaws.com');
  });
});

describe('stsEndpointFor', () => {
  const cases: Array<[string, Parameters<typeof stsEndpointFor>, string]> = [
    ['a regional endpoint for the region', ['us-west-2'], 'https://sts.us-west-2.amazonaws.com'],
    ['a regional endpoint when the setting is absent', ['eu-west-1'], 'https://sts.eu-west-1.amazonaws.com'],
    ['the .com.cn suffix in China', ['cn-north-1'], 'https://sts.cn-north-1.amazonaws.com.cn'],
    ['the GovCloud endpoint', ['us-gov-west-1'], 'https://sts.us-gov-west-1.amazonaws.com'],
    ['the ISO-B suffix', ['us-isob-east-1'], 'https://sts.us-isob-east-1.sc2s.sgov.gov'],
    ['the European Sovereign Cloud suffix', ['eusc-de-east-1'], 'https://sts.eusc-de-east-1.amazonaws.eu'],
    ['us-east-1 when no region is set', [undefined], 'https://sts.us-east-1.amazonaws.com'],
    ['us-east-1 when the region is empty', [''], 'https://sts.us-east-1.amazonaws.com'],
    ['the global endpoint for aws-global', ['aws-global'], 'https://sts.amazonaws.com'],
    ['AWS_ENDPOINT_URL_STS first', ['us-west-2', 'http://127.0.0.1:4566', 'http://127.0.0.1:9999'], 'http://127.0.0.1:4566'],
    ['AWS_ENDPOINT_URL when no STS-specific URL is set', ['us-west-2', undefined, 'http://127.0.0.1:9999'], 'http://127.0.0.1:9999'],
    ['AWS_ENDPOINT_URL when the STS-specific URL is empty', ['us-west-2', '', 'http://127.0.0.1:9999'], 'http://127.0.0.1:9999'],
  ];
  for (const [what, args, endpoint] of cases) {
    test(`uses ${what}`, () => assert.equal(stsEndpointFor(...args), endpoint));
  }
});

describe('parseBucketName', () => {
  const valid = [
    'my-bucket',
    'abc',
    'a'.repeat(63),
    'logs.example.com',
    '1bucket9',
    'my-ap-abcdefghijklmnopqrstuvwxyz0123-s3alias',
    'my-olap-abcdefghijklmnopqrstuvwxyz--ol-s3',
    'express-bucket--usw2-az1--x-s3',
    'arn:aws:s3:us-west-2:111122223333:accesspoint/probe-ap',
  ];
  for (const name of valid) {
    test(`accepts ${name}`, () => assert.equal(parseBucketName(name), name));
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['a two-character name', 'ab', /3 to 63 characters, found 2/],
    ['a 64-character name', 'a'.repeat(64), /3 to 63 characters, found 64/],
    ['uppercase letters', 'My-Bucket', /uppercase letters are not allowed/],
    ['an underscore', 'my_bucket', /only lowercase letters, digits, dots and hyphens/],
    ['a leading hyphen', '-bucket', /start and end with a letter or digit/],
    ['a trailing dot', 'bucket.', /start and end with a letter or digit/],
    ['adjacent dots', 'my..bucket', /two adjacent dots/],
    ['an IP address', '192.168.5.4', /must not look like an IP address/],
    ['the xn-- prefix', 'xn--bucket', /the prefix "xn--" is reserved/],
    ['the sthree- prefix', 'sthree-bucket', /the prefix "sthree-" is reserved/],
    ['the amzn-s3-demo- prefix', 'amzn-s3-demo-bucket', /the prefix "amzn-s3-demo-" is reserved/],
    ['the .mrap suffix', 'bucket.mrap', /"\.mrap" is reserved/],
    ['the --table-s3 suffix', 'bucket--table-s3', /"--table-s3" is reserved/],
    ['a malformed directory bucket', 'bucket--x-s3', /NAME--ZONE-ID--x-s3/],
    ['an ARN that is not an access point', 'arn:aws:s3:::my-bucket', /must be an S3 access point ARN/],
  ];
  for (const [what, name, message] of invalid) {
    test(`rejects ${what}`, () => assertNameError(() => parseBucketName(name), message, BUCKET_FORM));
  }
});
