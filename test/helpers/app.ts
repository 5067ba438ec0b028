/**
 * An application as users write it: an S3 client with the SDK's default
 * credential chain (fromNodeProviderChain, its default refresh 5 minutes
 * before expiry), putting one object every `APP_EVERY_MS`. One JSON line per
 * call on stdout: {"at", "ok", "code"?, "keyId"} (keyId: the access key id's
 * last 4 characters, to see refreshes).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';

const every = Number(process.env.APP_EVERY_MS ?? '200');
const bucket = process.env.IRSA_PROBE_S3_BUCKET ?? '';
const credentials = fromNodeProviderChain();
const s3 = new S3Client({ credentials, forcePathStyle: true, maxAttempts: 1 });
let stopping = false;
process.once('SIGTERM', () => (stopping = true));

while (!stopping) {
  const at = Date.now();
  try {
    const { accessKeyId } = await credentials();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'app/object', Body: 'app' }));
    process.stdout.write(`${JSON.stringify({ at, ok: true, keyId: accessKeyId.slice(-4) })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ at, ok: false, code: (error as Error).name })}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, every));
}
