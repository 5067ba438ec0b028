/** Small helpers shared by the emulators' HTTP servers (node:http, loopback only). */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Listens on 127.0.0.1 (port 0 = ephemeral) and resolves with the port. */
export async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, LOOPBACK);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  return (server.address() as AddressInfo).port;
}

/** Stops accepting connections and drops the open ones (hung requests included). */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

export interface Body {
  readonly bytes: Buffer;
  /** The body was longer than the limit; only the first `limit` bytes are kept. */
  readonly tooLarge: boolean;
}

/**
 * Reads the whole body, keeping at most `limit` bytes. The rest is read and
 * dropped (up to `discardLimit`), so the client gets the answer rather than a
 * reset; past that the caller should answer and close.
 */
export async function readBody(req: IncomingMessage, limit: number, discardLimit = 16 * 1024 * 1024): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else tooLarge = true;
    if (size > discardLimit) break;
  }
  return { bytes: Buffer.concat(chunks), tooLarge };
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', `${JSON.stringify(value, null, 2)}\n`, headers);
}

/** A request handler that never lets an exception escape: the server answers 500 and keeps serving. */
export function guarded(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse, error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      try {
        onError(res, error);
      } catch {
        res.destroy();
      }
    });
  };
}

/**
 * The request target as a URL. Never throws: `//x` (which `new URL(target,
 * base)` reads as a host) and other odd targets are taken as paths.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL(`http://request${target.startsWith('/') ? target : `/${target}`}`);
  } catch {
    return new URL('http://request/');
  }
}

/** Lower-cased single-valued headers, as a signer wants them. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
