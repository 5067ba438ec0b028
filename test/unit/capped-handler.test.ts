/**
 * The capped request handler against a real loopback server: answers within
 * the cap arrive byte-equal, a declared Content-Length over the cap is refused
 * before its body is read, a streamed body is cut as soon as it passes the cap
 * (the server sees the connection go), and a HEAD answer is left alone. Also
 * through a real STSClient, as the probe builds it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/core/protocols';
import { capStream, CappedHttpHandler, MAX_RESPONSE_BYTES, ResponseTooLargeError } from '../../src/capped-handler.js';
import { diagnoseSts } from '../../src/diagnose.js';

const LIMIT = 4096;
const CHUNK = Buffer.alloc(1024, 0x61);

interface Served {
  /** Bytes the server wrote to the last answer before it ended or the client went. */
  sent: number;
  closed: Promise<void>;
}

/** A server whose answer each test sets: a fixed body, or `total` bytes written as fast as the client reads (Infinity: endless). */
class Loopback {
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  private constructor(readonly server: Server) {}
  static async start(): Promise<Loopback> {
    const lb = new Loopback(createServer());
    lb.server.on('request', (req, res) => lb.answer(req, res));
    lb.server.listen(0, '127.0.0.1');
    await once(lb.server, 'listening');
    return lb;
  }
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** Answers with `total` bytes, declared in Content-Length or chunked. */
  stream(total: number, declare: boolean): Served {
    const served: Served = { sent: 0, closed: Promise.resolve() };
    let closed!: () => void;
    served.closed = new Promise((resolve) => (closed = resolve));
    this.answer = (_req, res) => {
      res.once('close', closed);
      res.writeHead(200, declare ? { 'Content-Length': String(total) } : {});
      const write = (): void => {
        while (!res.destroyed && served.sent < total) {
          const n = Math.min(CHUNK.length, total - served.sent);
          served.sent += n;
          if (!res.write(CHUNK.subarray(0, n))) return void res.once('drain', write);
        }
        if (!res.destroyed) res.end();
      };
      write();
    };
    return served;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('capped request handler', () => {
  let lb: Loopback;
  let handler: CappedHttpHandler;
  const get = (method = 'GET') => handler.handle(new HttpRequest({ protocol: 'http:', hostname: '127.0.0.1', port: lb.port, method, path: '/' }));

  before(async () => {
    lb = await Loopback.start();
    handler = new CappedHttpHandler('STS', { connectionTimeout: 5_000, requestTimeout: 5_000 }, LIMIT);
  });
  after(async () => {
    handler.destroy();
    await lb.close();
  });

  for (const declare of [true, false]) {
    const how = declare ? 'with Content-Length' : 'chunked';
    test(`passes an answer of exactly the cap, ${how}, byte-equal`, async () => {
      lb.stream(LIMIT, declare);
      const { response } = await get();
      const body = await readAll(response.body as Readable);
      assert.equal(body.length, LIMIT);
      assert.ok(body.equals(Buffer.alloc(LIMIT, 0x61)));
    });
  }

  test('refuses a declared Content-Length over the cap before reading its body, and drops the connection', async () => {
    const served = lb.stream(500_000_000, true);
    await assert.rejects(get(), (e: unknown) => e instanceof ResponseTooLargeError && /^STS answered a body larger than 4 KiB \(Content-Length: 500000000\)$/.test(e.message));
    await served.closed;
    assert.ok(served.sent < 500_000_000, 'the server sent the whole body');
  });

  test('cuts an endless chunked body once it passes the cap, and drops the connection', async () => {
    const served = lb.stream(Infinity, false);
    const { response } = await get();
    await assert.rejects(readAll(response.body as Readable), (e: unknown) => e instanceof ResponseTooLargeError && /streamed past the limit/.test(e.message));
    await served.closed;
    assert.ok(Number.isFinite(served.sent));
  });

  test('leaves a HEAD answer alone: its Content-Length declares a body it does not send', async () => {
    lb.answer = (_req, res) => res.writeHead(200, { 'Content-Length': '500000000' }).end();
    const { response } = await get('HEAD');
    assert.equal(response.statusCode, 200);
    assert.equal((await readAll(response.body as Readable)).length, 0);
  });

  test('a reset in the middle of a body fails the capped stream with the reset', async () => {
    lb.answer = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '2048' });
      res.write(CHUNK, () => res.socket?.resetAndDestroy());
    };
    const { response } = await get();
    await assert.rejects(readAll(response.body as Readable), (e: unknown) => !(e instanceof ResponseTooLargeError));
  });

  test('a real STSClient with the handler fails on an oversized answer with an error diagnosed as network', async () => {
    const served = lb.stream(Infinity, false);
    const client = new STSClient({ region: 'us-west-2', endpoint: `http://127.0.0.1:${lb.port}`, maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, requestHandler: new CappedHttpHandler('STS', { requestTimeout: 5_000 }) });
    try {
      const error = await client.send(new GetCallerIdentityCommand({})).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof ResponseTooLargeError, String(error));
      await served.closed;
      assert.ok(served.sent > MAX_RESPONSE_BYTES);
      const d = diagnoseSts(error, { operation: 'GetCallerIdentity', audience: 'sts.amazonaws.com', stsEndpoint: `http://127.0.0.1:${lb.port}` });
      assert.equal(d.reason, 'network');
      assert.match(d.cause, /larger than 1 MiB/);
      assert.doesNotMatch(d.cause, /Deserialization error/);
      assert.match(d.fix, /AWS_ENDPOINT_URL_STS/);
    } finally {
      client.destroy();
    }
  });
});

describe('capStream', () => {
  const source = (sizes: number[]) => Readable.from(sizes.map((n) => Buffer.alloc(n, 0x62)), { objectMode: false });

  test('passes up to the limit unchanged', async () => {
    const out = await readAll(capStream(source([10, 20, 30]), 60, () => new Error('too large')));
    assert.equal(out.length, 60);
  });

  test('fails with the given error past the limit, and destroys the source', async () => {
    const src = source([10, 20, 31]);
    await assert.rejects(readAll(capStream(src, 60, () => new Error('too large'))), /too large/);
    assert.ok(src.destroyed);
  });

  test("fails with the source's own error", async () => {
    const src = new Readable({ read() {} });
    const capped = capStream(src, 60, () => new Error('too large'));
    src.destroy(new Error('reset'));
    await assert.rejects(readAll(capped), /reset/);
  });
});
