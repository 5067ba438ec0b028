/**
 * Where the Kubernetes API is and how to authenticate, as client-go and
 * controller-runtime find it: KUBECONFIG when set (its current context),
 * else in-cluster (the pod's service-account token, CA and
 * KUBERNETES_SERVICE_HOST/PORT). Nothing here talks to the network.
 */
import { showValue } from '../redact.js';
import { readSmallFile } from '../small-file.js';

/** Limits (bytes) for what the view reads: a kubeconfig, a PEM bundle, a namespace name. */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
const MAX_PEM_BYTES = 1024 * 1024;
const MAX_NAMESPACE_BYTES = 256;

export const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeAccess {
  /** https://host:port, without a trailing slash. */
  readonly server: string;
  /** PEM of the CA to trust; undefined: the system's roots. */
  readonly ca?: string;
  /** A fixed bearer token (kubeconfig), or a file re-read per request (in-cluster, rotated by kubelet). */
  readonly token?: string;
  readonly tokenFile?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** The namespace the configuration names (context namespace, or the in-cluster namespace file). */
  readonly namespace?: string;
  /** Where the settings came from, for messages: `KUBECONFIG=/path` or `in-cluster`. */
  readonly source: string;
}

/** Why the Kubernetes view is off, in one line a user can act on. */
export class KubeAccessError extends Error {
  override name = 'KubeAccessError';
}

type Env = Readonly<Record<string, string | undefined>>;

export async function loadKubeAccess(env: Env, inClusterDir = IN_CLUSTER_DIR): Promise<KubeAccess> {
  const kubeconfig = env.KUBECONFIG?.split(':').find((p) => p !== '');
  if (kubeconfig !== undefined) return fromKubeconfig(kubeconfig);
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host === undefined || host === '') throw new KubeAccessError('not in a cluster: neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set');
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  const tokenFile = `${inClusterDir}/token`;
  const ca = await readText(`${inClusterDir}/ca.crt`, MAX_PEM_BYTES, `the service-account CA ${inClusterDir}/ca.crt`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw new KubeAccessError(`no service-account CA at ${inClusterDir}/ca.crt: automountServiceAccountToken is probably false for this pod`);
  });
  const namespace = await readText(`${inClusterDir}/namespace`, MAX_NAMESPACE_BYTES, `${inClusterDir}/namespace`).then((s) => s.trim(), () => undefined);
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { server, ca, tokenFile, ...(namespace ? { namespace } : {}), source: 'in-cluster' };
}

interface Named<T> {
  readonly name?: unknown;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}
type Fields = Readonly<Record<string, unknown>>;

async function fromKubeconfig(path: string): Promise<KubeAccess> {
  const source = `KUBECONFIG=${path}`;
  const text = await readText(path, MAX_KUBECONFIG_BYTES, source);
  const parse = await yamlParse();
  let doc: Fields;
  try {
    doc = (parse(text) ?? {}) as Fields;
  } catch (error) {
    throw new KubeAccessError(`${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const pick = (list: string, name: unknown, key: 'cluster' | 'user' | 'context'): Fields => {
    const entry = (Array.isArray(doc[list]) ? (doc[list] as Array<Named<Fields>>) : []).find((e) => e.name === name);
    if (!entry?.[key]) throw new KubeAccessError(`${source}: no ${key} named ${name === undefined ? '(none set)' : showValue(String(name))} in ${list}`);
    return entry[key];
  };
  const context = pick('contexts', doc['current-context'], 'context');
  const cluster = pick('clusters', context.cluster, 'cluster');
  const user = pick('users', context.user, 'user');
  const server = typeof cluster.server === 'string' ? cluster.server.replace(/\/+$/, '') : '';
  if (!server.startsWith('https://')) throw new KubeAccessError(`${source}: the cluster's server must be an https:// URL`);
  const ca = await material(cluster, 'certificate-authority', source);
  const clientCert = await material(user, 'client-certificate', source);
  const clientKey = await material(user, 'client-key', source);
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  if (!token && !tokenFile && !clientCert) throw new KubeAccessError(`${source}: the user has no token, tokenFile or client certificate (exec and auth-provider plugins are not supported)`);
  const namespace = typeof context.namespace === 'string' ? context.namespace : undefined;
  return { server, source, ...defined({ ca, clientCert, clientKey, token, tokenFile, namespace }) };
}

/** `<key>-data` (base64) or `<key>` (a file path). */
async function material(fields: Fields, key: string, source: string): Promise<string | undefined> {
  const data = fields[`${key}-data`];
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  const file = fields[key];
  if (typeof file !== 'string') return undefined;
  return readText(file, MAX_PEM_BYTES, `${source}: ${key} ${file}`);
}

/** A small file's text, without blocking; any failure is a KubeAccessError naming the file (`what`, path included). */
export async function readText(path: string, maxBytes: number, what: string): Promise<string> {
  try {
    return (await readSmallFile(path, { maxBytes, what })).text;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.name === 'SmallFileError') throw new KubeAccessError(e.message);
    const access = new KubeAccessError(`cannot read ${what}: ${e.code ?? e.message}`);
    throw Object.assign(access, e.code === undefined ? {} : { code: e.code });
  }
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * yaml's parse, loaded on demand. Under tsc output the import is an ES module
 * namespace; in the esbuild bundle the CommonJS exports arrive as `default`.
 */
async function yamlParse(): Promise<(text: string) => unknown> {
  const yaml = (await import('yaml')) as { parse?: (text: string) => unknown; default?: { parse: (text: string) => unknown } };
  const parse = yaml.parse ?? yaml.default?.parse;
  if (parse === undefined) throw new KubeAccessError('the YAML parser did not load');
  return parse;
}
