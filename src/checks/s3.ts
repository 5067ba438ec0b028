/**
 * s3 (optional): s3-echoer style. Put an object at one fixed key per pod,
 * read it back byte-equal, delete it. A fixed key means a failed delete never
 * leaves more than one object per pod under the prefix.
 */
import { randomBytes } from 'node:crypto';
import { errorFacts, transportDiagnosis, transportReason } from '../diagnose.js';
import { shellCommand } from '../shell.js';
import { fail, pass, skip, type Check, type CheckContext, type Verdict } from './context.js';
import { oneLine } from '../redact.js';

type Step = 'PutObject' | 'GetObject' | 'DeleteObject';

export const s3Check: Check = async (ctx) => {
  const target = ctx.config.s3;
  if (target === undefined) return skip('no bucket configured (IRSA_PROBE_S3_BUCKET)');
  const credentials = ctx.state.credentials;
  if (credentials === undefined) return skip('no role credentials this cycle');
  const s3 = await ctx.deps.s3();
  const body = Buffer.from(`irsa-probe ${ctx.config.podName} ${new Date(ctx.now()).toISOString()} ${randomBytes(8).toString('hex')}\n`);
  let step: Step = 'PutObject';
  try {
    await s3.put(credentials, target.bucket, target.key, body, ctx.signal);
    step = 'GetObject';
    const read = await s3.get(credentials, target.bucket, target.key, ctx.signal);
    if (!Buffer.from(read).equals(body)) {
      await s3.delete(credentials, target.bucket, target.key, ctx.signal).catch(() => undefined);
      return fail('s3', 's3_mismatch', `s3://${target.bucket}/${target.key} read back ${read.byteLength} bytes that differ from the ${body.byteLength} written`, 'Something rewrites objects under this prefix (a lifecycle rule, replication, another writer using the same key, or a proxy). Use a prefix only the probe writes to.');
    }
    step = 'DeleteObject';
    await s3.delete(credentials, target.bucket, target.key, ctx.signal);
  } catch (error) {
    return s3Failure(ctx, step, error);
  }
  return pass(`put, read back and deleted s3://${target.bucket}/${target.key} (${body.byteLength} bytes)`);
};

const ACTIONS: Record<Step, string> = { PutObject: 's3:PutObject', GetObject: 's3:GetObject', DeleteObject: 's3:DeleteObject' };

/** 403s that are not about permissions: no policy change fixes them. */
const SIGNING_ERRORS: Readonly<Record<string, { cause: string; fix: string }>> = {
  SignatureDoesNotMatch: {
    cause: 'S3 computed another signature for the request: the secret key does not match the access key, or something between the pod and S3 (a proxy, a gateway, AWS_ENDPOINT_URL_S3 pointing at something that is not S3) changed the request. This is not a permissions problem.',
    fix: 'Check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and any HTTP proxy (HTTPS_PROXY) in the pod; the role\'s credentials come from STS, so a signature mismatch points at the path to S3, not at IAM policy.',
  },
  RequestTimeTooSkewed: {
    cause: 'the pod\'s clock differs from S3\'s by more than 15 minutes, so S3 refuses every signed request. This is not a permissions problem.',
    fix: 'Fix time synchronisation on the node (chrony/NTP, or the Amazon Time Sync Service at 169.254.169.123); STS and every AWS call will fail the same way.',
  },
  InvalidAccessKeyId: {
    cause: 'S3 does not know the access key: the credentials are not from this partition or endpoint, or were revoked. This is not a permissions problem.',
    fix: 'Check that AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and AWS_REGION point at the same partition as STS.',
  },
  ExpiredToken: {
    cause: 'the session credentials expired before S3 saw them. This is not a permissions problem.',
    fix: 'The probe assumes the role again at the next cycle; if it persists, check the pod\'s clock.',
  },
};

function s3Failure(ctx: CheckContext, step: Step, error: unknown): Verdict {
  const target = ctx.config.s3!;
  const facts = errorFacts(error);
  const said = `${step} s3://${target.bucket}/${target.key} answered ${facts.name}${facts.status ? ` (HTTP ${facts.status})` : ''}: ${facts.message}`;
  const transport = transportReason(facts);
  if (transport !== undefined) {
    const d = transportDiagnosis(transport, facts, ctx.state, 'S3');
    return fail('s3', transport === 'throttled' ? 'throttled' : transport, `${said}. ${d.cause}`, d.fix);
  }
  if (facts.name === 'NoSuchBucket') {
    return fail('s3', 's3_no_bucket', `${said}. The bucket does not exist (or is in another partition).`, `Create the bucket or fix IRSA_PROBE_S3_BUCKET: ${shellCommand('aws', 's3api', 'create-bucket', '--bucket', target.bucket, '--region', ctx.config.aws.region ?? '<region>')}`);
  }
  const signing = SIGNING_ERRORS[facts.name];
  if (signing !== undefined) return fail('s3', 's3_error', `${said}. ${signing.cause}`, signing.fix);
  if (facts.name === 'AccessDenied' || facts.status === 403) {
    const statement = {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${target.bucket}/${target.prefix}*`,
    };
    return fail('s3', 's3_access_denied', `${said}. The role may not ${ACTIONS[step]} under ${target.prefix} (its permissions policy, a bucket policy, a KMS key policy or an SCP denies it).`, `Allow the role (${oneLine(ctx.state.assumedRoleArn ?? ctx.config.aws.roleArn ?? 'the role')}) this statement in its permissions policy, and check the bucket policy:\n${JSON.stringify(statement, null, 2).replace(/^/gm, '  ')}`);
  }
  return fail('s3', 's3_error', said, 'See the S3 error above; check the bucket, its region and the endpoint (AWS_ENDPOINT_URL_S3).');
}
