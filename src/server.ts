/**
 * The HTTP surface: routes only. A handler never calls AWS; it reads the
 * state the scheduler left in Health and ProbeMetrics.
 *
 *   /readyz  200 `ok` | 503 failing checks (`?verbose` lists every check)
 *   /livez   200 | 503 (scheduler heartbeat)
 *   /metrics Prometheus text from the probe's own registry
 *   /status  JSON from deps.status() (404 when disabled)
 *   /        a text index
 *
 * GET and HEAD only (405 + Allow otherwise), 404 for unknown paths, 414 for
 * URLs over 2048 chars, 431 for headers over 8 KiB, 500 `internal error`
 * (never a stack) when a handler throws.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Health } from './health.js';
import type { ProbeMetrics } from './metrics.js';
import { renderLivez, renderReadyz } from './report.js';

export interface ServerDeps {
  readonly health: Health;
  readonly metrics: ProbeMetrics;
  /** Returns the /status document; undefined → /status answers 404 'status endpoint disabled'. */
  readonly status?: () => unknown;
  readonly now?: () => number;
}

export interface Listening {
  readonly server: http.Server;
  readonly port: number;
  readonly url: string;
  /** Stops accepting, closes idle keep-alive sockets, and resolves within 1 s. */
  close(): Promise<void>;
}

export const MAX_URL_LENGTH = 2048;
export const MAX_HEADER_SIZE = 8 * 1024;
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const CLOSE_GRACE_MS = 1_000;
/** How often node:http enforces the two timeouts above (a timer that wakes the idle process). */
const CONNECTIONS_CHECK_MS = 2_000;

export const ENDPOINTS: Readonly<Record<string, string>> = Object.freeze({
  '/readyz': 'readiness: 200 ok when the pod can act as its IAM role, 503 with the failing checks (?verbose lists every check)',
  '/livez': 'liveness: 200 while the scheduler heartbeats',
  '/metrics': 'Prometheus metrics',
  '/status': 'JSON: configuration summary, mechanism, token claims, last report, readiness history',
});
const ALLOW = 'GET, HEAD';
const TEXT = 'text/plain; charset=utf-8';
const INDEX_BODY = `irsa-probe\n\n${Object.entries(ENDPOINTS)
  .map(([path, what]) => `${path.padEnd(9)} ${what}`)
  .join('\n')}\n`;

/** Writes a whole text response in one go (headers and body in one write). */
function text(res: http.ServerResponse, status: number, body: string, extra?: Readonly<Record<string, string>>): void {
  res.writeHead(status, { 'Content-Type': TEXT, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** `?verbose`, `?verbose=1`, `?verbose=true` (anything but `0`/`false`), from the raw query. */
function isVerbose(query: string): boolean {
  if (query === '') return false;
  const v = new URLSearchParams(query).get('verbose');
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

type Handler = (req: Request, res: Response) => void;

function probeHandlers(deps: ServerDeps): { readonly readyz: Handler; readonly livez: Handler } {
  const now = deps.now ?? Date.now;
  return {
    readyz: (req, res) => {
      const readiness = deps.health.readiness(now());
      text(res, readiness.ready ? 200 : 503, renderReadyz(readiness, isVerbose(splitUrl(req.originalUrl)[1])));
    },
    livez: (_req, res) => {
      const live = deps.health.live(now());
      text(res, live.live ? 200 : 503, renderLivez(live));
    },
  };
}

/** First middleware: common headers, 414 for long URLs, 405 for methods other than GET and HEAD. */
function front(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.originalUrl.length > MAX_URL_LENGTH) return text(res, 414, 'uri too long\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return text(res, 405, `method ${req.method} not allowed: use GET or HEAD\n`, { Allow: ALLOW });
  }
  next();
}

function errorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const status = (err as { status?: unknown } | null)?.status;
  // Client errors raised by express itself (e.g. a malformed URI) keep their 4xx status.
  if (typeof status === 'number' && status >= 400 && status < 500) return text(res, status, 'bad request\n');
  text(res, 500, 'internal error\n');
}

export function createApp(deps: ServerDeps): Express {
  const now = deps.now ?? Date.now;
  const handlers = probeHandlers(deps);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(front);
  app.get('/readyz', handlers.readyz);
  app.get('/livez', handlers.livez);
  app.get('/metrics', async (_req, res) => {
    // Staleness is judged at read time: keep irsa_probe_ready in step with /readyz.
    deps.metrics.setReady(deps.health.readiness(now()).ready);
    const body = await deps.metrics.render();
    res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  app.get('/status', (_req, res) => {
    if (deps.status === undefined) return text(res, 404, 'status endpoint disabled\n');
    res.status(200).json(deps.status());
  });
  app.get('/', (_req, res) => text(res, 200, INDEX_BODY));
  app.use((req: Request, res: Response) => text(res, 404, `not found: ${req.path.slice(0, 100)}\n`));
  app.use(errorHandler);
  return app;
}

/** The clear error `listen` rejects with, naming the setting to change. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `port ${port} on ${host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is in use: set IRSA_PROBE_PORT`, { cause: err });
    case 'EACCES':
      return new Error(`${where} needs privileges: set IRSA_PROBE_PORT to a port above 1023`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new Error(`address ${host} is not available on this host: set IRSA_PROBE_HOST`, { cause: err });
    default:
      return new Error(`cannot listen on ${where}: ${err.code ?? err.message}`, { cause: err });
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts an HTTP server for `app` with the hardening limits; port 0 picks a free port. */
export function listen(app: Express, host: string, port: number): Promise<Listening> {
  const server = http.createServer(
    { maxHeaderSize: MAX_HEADER_SIZE, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECK_MS },
    app,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = (server.address() as AddressInfo).port;
      resolve({ server, port: bound, url: `http://${urlHost(host)}:${bound}`, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS - 100);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

