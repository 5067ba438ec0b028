/**
 * A small read-mostly Kubernetes API client on node:https: GET, POST and
 * merge-PATCH of JSON objects, bearer token or client certificate, bounded
 * bodies, an AbortSignal on every call. (`@kubernetes/client-node` costs
 * +70 MiB RSS and 0.7 s to import on Node 20; see README "Kubernetes view".)
 */
import { Agent, request } from 'node:https';
import { readCapped } from '../capped-handler.js';
import { oneLine } from '../redact.js';
import { readText, type KubeAccess } from './access.js';
import { MAX_TOKEN_BYTES } from '../token-file.js';

/** Pods with many containers are tens of KiB; anything past this is refused. */
const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    /** The Status object's reason (Forbidden, NotFound, ...) or the network error's code. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type KubeObject = Readonly<Record<string, unknown>>;

export class KubeClient {
  private readonly agent: Agent;

  constructor(private readonly access: KubeAccess) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 2, ...(access.ca ? { ca: access.ca } : {}), ...(access.clientCert ? { cert: access.clientCert, key: access.clientKey } : {}) });
  }

  get source(): string {
    return this.access.source;
  }

  get(path: string, signal: AbortSignal): Promise<KubeObject> {
    return this.call('GET', path, undefined, signal);
  }

  create(path: string, body: object, signal: AbortSignal): Promise<KubeObject> {
    return this.call('POST', path, body, signal);
  }

  patch(path: string, body: object, signal: AbortSignal): Promise<KubeObject> {
    return this.call('PATCH', path, body, signal, 'application/merge-patch+json');
  }

  close(): void {
    this.agent.destroy();
  }

  private async call(method: string, path: string, body: object | undefined, signal: AbortSignal, contentType = 'application/json'): Promise<KubeObject> {
    const token = this.access.token ?? (this.access.tokenFile ? (await readText(this.access.tokenFile, MAX_TOKEN_BYTES, `the Kubernetes token file ${this.access.tokenFile}`)).trim() : undefined);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(`${this.access.server}${path}`);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'irsa-probe' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) Object.assign(headers, { 'content-type': contentType, 'content-length': String(payload.length) });
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, signal }, (res) => {
        const tooLarge = () => new KubeApiError(0, 'TooLarge', `${method} ${path}: response larger than ${MAX_RESPONSE_BYTES} bytes`);
        readCapped(res, MAX_RESPONSE_BYTES, tooLarge).then((body) => settle(res.statusCode ?? 0, body.toString('utf8'), `${method} ${path}`, resolve, reject), reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof KubeApiError ? error : new KubeApiError(0, error.code ?? error.name, `${method} ${path}: ${error.message}`)));
      req.end(payload);
    });
  }
}

function settle(status: number, text: string, what: string, resolve: (o: KubeObject) => void, reject: (e: Error) => void): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(new KubeApiError(status, 'BadResponse', `${what}: HTTP ${status}, not JSON`));
  }
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (status >= 200 && status < 300) return resolve(object);
  const reason = typeof object.reason === 'string' ? object.reason : `HTTP${status}`;
  // The server's text reaches logs and /status: control characters out, length bounded.
  const message = typeof object.message === 'string' ? oneLine(object.message).slice(0, 300) : `HTTP ${status}`;
  reject(new KubeApiError(status, reason, `${what}: ${message}`));
}
