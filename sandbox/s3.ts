/**
 * S3: s3rver (path-style, on loopback) behind a small pass-through proxy of
 * ours. The proxy does what s3rver cannot: verifies SigV4 against the shared
 * credential store (so only credentials the emulators issued work), lets only
 * the pod's role in (the node role has no access to the bucket, as in a real
 * account), and injects faults: 403 AccessDenied, 404 NoSuchBucket, 500
 * InternalError. Authorised requests are forwarded unsigned to s3rver.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import type { Counters } from './counters.js';
import type { CredentialStore } from './credentials.js';
import { ShareGate, type Faults } from './faults.js';
import { flatHeaders, guarded, LOOPBACK, requestUrl, send } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';
import { authenticate, queryOf, type AuthFailure } from './sigv4.js';
import { requestId, s3Error } from './xml.js';

export interface S3World {
  readonly region: string;
  readonly bucket: string;
  /** Roles whose sessions may use the bucket now (asked at each request: a deleted role's sessions are denied). */
  allowedRoles(): readonly string[];
  faults(): Faults;
}

interface S3Answer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Record<string, string>;
}

/** Headers that belong to the client's signature, not to s3rver. */
const STRIPPED = new Set(['authorization', 'x-amz-security-token', 'host', 'connection', 'keep-alive']);

/** Its listener, whose url is AWS_ENDPOINT_URL_S3, is the fault proxy in front of s3rver. */
export class S3Emulator extends LoopbackServer {
  private readonly flaky = new ShareGate();
  private upstreamPort = 0;

  private constructor(
    private readonly world: S3World,
    private readonly store: CredentialStore,
    private readonly counters: Counters,
    private readonly s3rver: S3rver,
  ) {
    super(createServer());
    this.server.on('request', guarded((req, res) => this.handle(req, res), (res) => this.answer(res, 'other', { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' })));
  }

  static async start(world: S3World, store: CredentialStore, counters: Counters, directory: string): Promise<S3Emulator> {
    await mkdir(directory, { recursive: true });
    const s3rver = new S3rver({ address: LOOPBACK, port: 0, silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: world.bucket }] });
    const address = await s3rver.run();
    const s3 = new S3Emulator(world, store, counters, s3rver);
    s3.upstreamPort = address.port;
    return s3.listen();
  }

  override async close(): Promise<void> {
    await super.close();
    await this.s3rver.close();
  }

  private queue: Promise<void> = Promise.resolve();

  private answer(res: ServerResponse, operation: string, a: S3Answer): void {
    this.counters.record('s3', operation, a.code);
    const id = requestId();
    send(res, a.status, 'application/xml', s3Error(a.code, a.message, a.extra ?? {}, id), { 'x-amz-request-id': id });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const operation = operationOf(req.method ?? 'GET', url, req.headers);
    const refusal = await this.refusal(req, url, operation);
    if (refusal !== undefined) {
      req.resume();
      return this.answer(res, operation, refusal);
    }
    // s3rver keeps objects as files and is not safe under concurrency: a read or a
    // listing racing a delete of the same object throws ENOENT from a stream it
    // does not guard, and takes the process down. Real S3 serialises per key; the
    // sandbox forwards one request at a time (its load is a few pods).
    const turn = this.queue.then(() => this.forward(req, res, operation));
    this.queue = turn.catch(() => undefined);
    await turn;
  }

  /** Why the request is refused (auth, then the fault knobs), or undefined to pass it on. */
  private async refusal(req: IncomingMessage, url: URL, operation: string): Promise<S3Answer | undefined> {
    const headers = flatHeaders(req);
    const auth = await authenticate(this.store, { method: req.method ?? 'GET', rawPath: url.pathname, query: queryOf(url.searchParams), headers, body: Buffer.alloc(0) }, { service: 's3', region: this.world.region, uriEscapePath: false, verifyPayload: false });
    if (!auth.ok) return authAnswer(auth, this.world.region);
    const faults = this.world.faults();
    const bucket = safeDecode(url.pathname.split('/')[1] ?? '');
    if (faults.s3NoBucket && bucket !== '') return { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist', extra: { BucketName: bucket } };
    if (faults.s3Deny || !this.world.allowedRoles().includes(auth.credentials.roleName)) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    if (this.flaky.hit(faults.s3FlakyShare)) return { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
    return undefined;
  }

  private forward(req: IncomingMessage, res: ServerResponse, operation: string): Promise<void> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !STRIPPED.has(name)) headers[name] = value;
    headers.host = `${LOOPBACK}:${this.upstreamPort}`;
    return new Promise<void>((resolve) => {
      // A client that goes away must not hold the queue.
      res.on('close', () => resolve());
      const upstream = httpRequest({ host: LOOPBACK, port: this.upstreamPort, method: req.method, path: req.url, headers }, (answer) => {
        const status = answer.statusCode ?? 502;
        this.counters.record('s3', operation, status >= 400 ? (answer.headers['x-amz-error-code'] as string | undefined) ?? String(status) : undefined);
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => resolve());
      });
      upstream.on('error', () => {
        this.answer(res, operation, { status: 503, code: 'ServiceUnavailable', message: 'Please reduce your request rate.' });
        resolve();
      });
      req.pipe(upstream);
    });
  }
}

function authAnswer(failure: AuthFailure, region: string): S3Answer {
  switch (failure.kind) {
    case 'missing':
      return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    case 'malformed':
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; ${failure.detail}` };
    case 'unknown-key':
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    case 'bad-session-token':
      return { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' };
    case 'wrong-region':
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; the region '${failure.region.slice(0, 32)}' is wrong; expecting '${region}'`, extra: { Region: region } };
    case 'clock-skew':
      return { status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' };
    case 'expired':
      return { status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' };
    case 'bad-signature':
      return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The S3 operation a path-style request is (for the counters). */
export function operationOf(method: string, url: URL, headers: IncomingMessage['headers']): string {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.join('/');
  const q = url.searchParams;
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : 'other';
  if (key === '') {
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    const bucketOps: Record<string, string> = { GET: q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', PUT: 'CreateBucket', DELETE: 'DeleteBucket', HEAD: 'HeadBucket' };
    return bucketOps[method] ?? 'other';
  }
  if (method === 'PUT') return headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : q.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'other';
  const objectOps: Record<string, string> = { GET: 'GetObject', HEAD: 'HeadObject', DELETE: q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject' };
  return objectOps[method] ?? 'other';
}
