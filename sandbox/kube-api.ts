/**
 * A Kubernetes API server emulator: HTTPS with its own CA, bearer-token
 * authentication, RBAC for the pod's ServiceAccount (exactly the Role in
 * k8s/), discovery, and get/list/create/patch of the Pod, ServiceAccount,
 * ReplicaSet, Deployment and Event objects. The real kubectl works against it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { guarded, LOOPBACK, readBody, requestUrl, sendJson } from './http-util.js';
import { coreVersions, findType, groupList, resourceList, version, type ResourceType } from './kube-discovery.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serviceAccount, workload, type KubeObject, type PodFacts } from './kube-objects.js';
import { KubeStore, selectorMatches, StoreError } from './kube-store.js';
import { table, wantsTable } from './kube-table.js';
import { makeServingCert, writeKubeconfig, type ServingCert } from './kube-tls.js';
import { LoopbackServer } from './loopback-server.js';

const MAX_BODY = 1024 * 1024;

/** The Role of k8s/: what the pod's ServiceAccount may do in its namespace. */
export const PROBE_RULES: ReadonlyArray<{ group: string; resource: string; verbs: readonly string[] }> = [
  { group: '', resource: 'pods', verbs: ['get'] },
  { group: '', resource: 'serviceaccounts', verbs: ['get'] },
  { group: 'apps', resource: 'replicasets', verbs: ['get'] },
  { group: '', resource: 'events', verbs: ['create', 'patch'] },
];

interface KubeApiOptions {
  readonly namespace: string;
  /** `system:serviceaccount:NS:SA`, the probe token's user. */
  readonly podUser: string;
  readonly objects: readonly KubeObject[];
}

/**
 * One CA and serving certificate for 127.0.0.1 per process, made on first
 * use (as issuer.ts keeps its RSA keys): every world starts an API server,
 * and a test process starts dozens of worlds. A failed attempt is not kept.
 */
let servingCert: Promise<ServingCert> | undefined;
function loopbackCert(): Promise<ServingCert> {
  servingCert ??= makeServingCert(LOOPBACK).catch((error: unknown) => {
    servingCert = undefined;
    throw error;
  });
  return servingCert;
}

interface Target {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

export class KubeApiEmulator extends LoopbackServer {
  readonly store = new KubeStore();
  /** The pod's ServiceAccount token (RBAC applies) and an administrator's (everything allowed). */
  readonly podToken = randomBytes(24).toString('base64url');
  readonly adminToken = randomBytes(24).toString('base64url');
  /** Whether the Role and RoleBinding of k8s/ are applied for the pod's ServiceAccount. */
  rbac = true;

  private constructor(
    server: Server,
    readonly caPem: string,
    private readonly options: KubeApiOptions,
  ) {
    super(server);
    for (const object of options.objects) this.store.put(object);
    this.server.on('request', guarded((req, res) => this.handle(req, res), (res, error) => this.status(res, 500, 'InternalError', (error as Error).message)));
  }

  static async start(options: KubeApiOptions): Promise<KubeApiEmulator> {
    const cert = await loopbackCert();
    return new KubeApiEmulator(createServer({ key: cert.keyPem, cert: cert.certPem }), cert.caPem, options).listen();
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }

  private user(req: IncomingMessage): 'admin' | 'pod' | undefined {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (match?.[1] === this.adminToken) return 'admin';
    if (match?.[1] === this.podToken) return 'pod';
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const body = await readBody(req, MAX_BODY);
    const user = this.user(req);
    if (user === undefined) return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    if (body.tooLarge) return this.status(res, 413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);
    const path = url.pathname.replace(/\/+$/, '');
    const fixed = this.discovery(path);
    if (fixed !== undefined) return sendJson(res, 200, fixed);
    const target = parseTarget(path);
    if (target === undefined) return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
    const verb = verbOf(req.method ?? 'GET', target);
    if (verb === undefined) return this.status(res, 405, 'MethodNotAllowed', `${req.method} is not supported on ${path}`);
    if (user === 'pod' && !this.allowed(verb, target)) return this.forbidden(res, verb, target);
    try {
      const answer = this.act(verb, target, url, body.bytes);
      const printed = wantsTable(req.headers.accept) && (verb === 'get' || verb === 'list') ? this.printed(target, answer) : undefined;
      sendJson(res, verb === 'create' ? 201 : 200, printed ?? answer);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.status(res, error.code, error.reason, error.message);
    }
  }

  private discovery(path: string): object | undefined {
    if (path === '/version') return version();
    if (path === '/api') return coreVersions(this.host);
    if (path === '/apis') return groupList();
    const core = /^\/api\/(v1)$/.exec(path);
    if (core) return resourceList('', core[1]!);
    const named = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    return named ? resourceList(named[1]!, named[2]!) : undefined;
  }

  private allowed(verb: string, target: Target): boolean {
    if (!this.rbac || target.namespace !== this.options.namespace) return false;
    return PROBE_RULES.some((r) => r.group === target.type.group && r.resource === target.type.resource && r.verbs.includes(verb));
  }

  private forbidden(res: ServerResponse, verb: string, t: Target): void {
    const what = t.name === undefined ? t.type.resource : `${t.type.resource} "${t.name}"`;
    const where = t.namespace === undefined ? 'at the cluster scope' : `in the namespace "${t.namespace}"`;
    this.status(res, 403, 'Forbidden', `${what} is forbidden: User "${this.options.podUser}" cannot ${verb} resource "${t.type.resource}" in API group "${t.type.group}" ${where}`);
  }

  private act(verb: string, t: Target, url: URL, body: Buffer): unknown {
    switch (verb) {
      case 'get':
        return this.store.get(t.type, t.namespace!, t.name!);
      case 'list':
        return this.list(t, url);
      case 'create':
        return this.store.create(t.type, t.namespace!, parseJson(body));
      default:
        return this.store.patch(t.type, t.namespace!, t.name!, parseJson(body), url.searchParams.get('fieldManager') ?? 'unknown');
    }
  }

  /** A Table of the object or list, for the kinds that have columns. */
  private printed(t: Target, answer: unknown): object | undefined {
    const items = t.name === undefined ? (answer as { items: KubeObject[] }).items : [answer as KubeObject];
    return table(t.type.kind, items, this.store.resourceVersion());
  }

  private list(t: Target, url: URL): object {
    const selector = url.searchParams.get('fieldSelector') ?? '';
    const items = this.store.list(t.type, t.namespace).filter((o) => selectorMatches(o, selector));
    const group = t.type.group === '' ? t.type.version : `${t.type.group}/${t.type.version}`;
    return { kind: `${t.type.kind}List`, apiVersion: group, metadata: { resourceVersion: this.store.resourceVersion() }, items };
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new StoreError(400, 'BadRequest', 'the request body is not a JSON object');
}

/** /api/v1/[namespaces/NS/]RESOURCE[/NAME] and /apis/GROUP/VERSION/... */
function parseTarget(path: string): Target | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const type = m[1] ? findType('', m[1], m[5]!) : findType(m[2]!, m[3]!, m[5]!);
  if (!type) return undefined;
  return { type, namespace: m[4] === undefined ? undefined : decodeURIComponent(m[4]), name: m[6] === undefined ? undefined : decodeURIComponent(m[6]) };
}

function verbOf(method: string, t: Target): string | undefined {
  const named = t.name !== undefined;
  if (t.namespace === undefined && (method !== 'GET' || named)) return undefined;
  if (method === 'GET') return named ? 'get' : 'list';
  if (method === 'POST' && !named) return 'create';
  if (method === 'PATCH' && named) return 'patch';
  return undefined;
}

/** The API server holding the pod, its ServiceAccount and owners, and the two kubeconfigs in `dir`. */
export async function startKubeApi(facts: PodFacts, dir: string): Promise<{ api: KubeApiEmulator; kubeconfig: string; adminKubeconfig: string }> {
  const { deployment, replicaSet, pod } = workload(facts);
  const podUser = `system:serviceaccount:${facts.namespace}:${facts.serviceAccount}`;
  const api = await KubeApiEmulator.start({ namespace: facts.namespace, podUser, objects: [serviceAccount(facts), deployment, replicaSet, pod] });
  await mkdir(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  const common = { server: api.url, caPem: api.caPem, namespace: facts.namespace };
  await writeKubeconfig(kubeconfig, { ...common, token: api.podToken, user: podUser });
  await writeKubeconfig(adminKubeconfig, { ...common, token: api.adminToken, user: 'sandbox-admin' });
  return { api, kubeconfig, adminKubeconfig };
}
