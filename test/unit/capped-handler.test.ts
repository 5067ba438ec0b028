/**
 * The capped request handler against a real loopback server: answers within
 * the cap arrive byte-equal, a declared Content-Length over the cap is refused
 * before its body is read, a streamed body is cut as soon as it passes the cap
 * (the server sees the connection go), and a HEAD answer is left alone. Also
 * through a real STSClient, as the probe builds it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/core/protocols';
import { capStream, CappedHttpHandler, MAX_RESPONSE_BYTES, ResponseTooLargeError } from '../../src/capped-handler.js';
import { diagnoseSts } from '../../src/diagnose.js';

const LIMIT = 4096;
const CHUNK = Buffer.alloc(1024, 0x61);
/**
 * What the server can write past the cap before it sees the connection go: at
 * most what the kernel's socket buffers hold between the two ends (the largest
 * send and receive buffers Linux autotunes to), and a MiB for Node's own
 * stream buffers. About 4 MiB is seen; an uncut body never ends.
 */
const IN_FLIGHT_BYTES = socketBufferBytes() + 1024 * 1024;
function socketBufferBytes(): number {
  const max = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
  try {
    const bytes = max('tcp_wmem') + max('tcp_rmem');
    if (Number.isFinite(bytes)) return bytes;
  } catch {
    // not Linux: assume generous buffers
  }
  return 64 * 1024 * 1024;
}
/** A body the cap failed to cut never ends, and the test waits on it: this fails it instead. */
const HANG = { timeout: 10_000 };

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
      const body = await buffer(response.body as Readable);
      assert.equal(body.length, LIMIT);
      assert.ok(body.equals(Buffer.alloc(LIMIT, 0x61)));
    });
  }

  test('refuses a declared Content-Length over the cap before reading its body, and drops the connection', HANG, async () => {
    const served = lb.stream(500_000_000, true);
    await assert.rejects(get(), (e: unknown) => e instanceof ResponseTooLargeError && /^STS answered a body larger than 4 KiB \(Content-Length: 500000000\)$/.test(e.message));
    await served.closed;
    assert.ok(served.sent < LIMIT + IN_FLIGHT_BYTES, `the server wrote ${served.sent} bytes before the connection went`);
  });

  test('cuts an endless chunked body once it passes the cap, and drops the connection', HANG, async () => {
    const served = lb.stream(Infinity, false);
    const { response } = await get();
    await assert.rejects(buffer(response.body as Readable), (e: unknown) => e instanceof ResponseTooLargeError && /streamed past the limit/.test(e.message));
    await served.closed;
    assert.ok(served.sent > LIMIT, `the server wrote only ${served.sent} bytes`);
    assert.ok(served.sent < LIMIT + IN_FLIGHT_BYTES, `the server wrote ${served.sent} bytes before the connection went`);
  });

  test('leaves a HEAD answer alone: its Content-Length declares a body it does not send', async () => {
    lb.answer = (_req, res) => res.writeHead(200, { 'Content-Length': '500000000' }).end();
    const { response } = await get('HEAD');
    assert.equal(response.statusCode, 200);
    assert.equal((await buffer(response.body as Readable)).length, 0);
  });

  test('a reset in the middle of a body fails the capped stream with the reset', async () => {
    lb.answer = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '2048' });
      res.write(CHUNK, () => res.socket?.resetAndDestroy());
    };
    const { response } = await get();
    await assert.rejects(buffer(response.body as Readable), (e: unknown) => !(e instanceof ResponseTooLargeError));
  });

  test('a real STSClient with the handler fails on an oversized answer with an error diagnosed as network', HANG, async () => {
    const served = lb.stream(Infinity, false);
    const client = new STSClient({ region: 'us-west-2', endpoint: `http://127.0.0.1:${lb.port}`, maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, requestHandler: new CappedHttpHandler('STS', { requestTimeout: 5_000 }) });
    try {
      const error = await client.send(new GetCallerIdentityCommand({})).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof ResponseTooLargeError, String(error));
      await served.closed;
      assert.ok(served.sent > MAX_RESPONSE_BYTES);
      assert.ok(served.sent < MAX_RESPONSE_BYTES + IN_FLIGHT_BYTES, `the server wrote ${served.sent} bytes before the connection went`);
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
    const out = await buffer(capStream(source([10, 20, 30]), 60, () => new Error('too large')));
    assert.equal(out.length, 60);
  });

  test('fails with the given error past the limit, and destroys the source', async () => {
    const src = source([10, 20, 31]);
    await assert.rejects(buffer(capStream(src, 60, () => new Error('too large'))), /too large/);
    assert.ok(src.destroyed);
  });

  test("fails with the source's own error", async () => {
    const src = new Readable({ read() {} });
    const capped = capStream(src, 60, () => new Error('too large'));
    src.destroy(new Error('reset'));
    await assert.rejects(buffer(capped), /reset/);
  });
});
