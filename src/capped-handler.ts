/**
 * The request handler of every AWS SDK client the probe builds: the SDK's own
 * NodeHttpHandler (its timeouts and keep-alive unchanged) with a cap on the
 * response body. A real STS answer is a few KiB and the S3 check's object a
 * few dozen bytes; something else answering at an endpoint (a misdirected
 * AWS_ENDPOINT_URL_*, a proxy) could otherwise stream the probe out of memory.
 * A declared Content-Length over the cap is refused before a byte is read; a
 * streamed (chunked) body is cut, socket and all, as soon as it passes the cap.
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';

/** Generous for any STS answer and for the S3 check's object. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The services the probe calls through the SDK. */
export type CappedService = 'STS' | 'S3';

/** The name of the error a capped handler fails with. */
export const RESPONSE_TOO_LARGE = 'ResponseTooLargeError';

export class ResponseTooLargeError extends Error {
  override readonly name = RESPONSE_TOO_LARGE;
  constructor(service: CappedService, limit: number, detail: string) {
    super(`${service} answered a body larger than ${bytes(limit)} (${detail})`);
  }
}

type Request = Parameters<NodeHttpHandler['handle']>[0];
type Options = Parameters<NodeHttpHandler['handle']>[1];
type Handled = Awaited<ReturnType<NodeHttpHandler['handle']>>;

export class CappedHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly service: CappedService,
    options: NodeHttpHandlerOptions,
    private readonly limit = MAX_RESPONSE_BYTES,
  ) {
    super(options);
  }

  override async handle(request: Request, options?: Options): Promise<Handled> {
    const handled = await super.handle(request, options);
    const { response } = handled;
    // A HEAD answer declares the size of a body it does not send.
    if (request.method === 'HEAD') return handled;
    const body = response.body as Readable;
    const declared = response.headers['content-length'];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > this.limit) {
      body.destroy();
      throw new ResponseTooLargeError(this.service, this.limit, `Content-Length: ${declared}`);
    }
    response.body = capStream(body, this.limit, () => new ResponseTooLargeError(this.service, this.limit, 'streamed past the limit'));
    return handled;
  }
}

/**
 * The source's bytes, up to `limit`: past it the returned stream fails with
 * tooLarge() and the source is destroyed (for an HTTP answer, its socket).
 * An error of the source (a reset, an abort) fails the returned stream too.
 */
export function capStream(source: Readable, limit: number, tooLarge: () => Error): Readable {
  let seen = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.byteLength;
      if (seen > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
  pipeline(source, capped, () => undefined);
  return capped;
}

/**
 * The whole body of `source`, up to `limit` bytes: past it the source is
 * destroyed with tooLarge() (for an HTTP answer, its socket) and the promise
 * rejects with that error. An error of the source rejects it too.
 */
export function readCapped(source: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) source.destroy(tooLarge());
      else chunks.push(chunk);
    });
    source.once('end', () => resolve(Buffer.concat(chunks)));
    source.on('error', reject);
  });
}

export function bytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
