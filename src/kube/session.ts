/**
 * The probe's read-only window on its own pod: the connection (loaded only
 * when KUBECONFIG or KUBERNETES_SERVICE_HOST is set), the pod and its owner
 * chain (read once: a pod's spec and owners do not change), and the
 * ServiceAccount (read every cycle, to see its annotation change).
 */
import { decodeToken, readTokenFile } from '../token-file.js';
import type { KubeAccess } from './access.js';
import type { KubeClient } from './client.js';
import { controllerOf, podView, serviceAccountView, type PodView, type ServiceAccountView, type Workload } from './view.js';

export interface KubeTarget {
  readonly podName: string;
  /** From POD_NAMESPACE / IRSA_PROBE_NAMESPACE; else the configuration's namespace. */
  readonly namespace?: string;
}

export interface KubeSnapshot {
  readonly pod: PodView;
  readonly serviceAccount: ServiceAccountView;
  /** The cluster's OIDC issuer, from the in-cluster service-account token's claims. */
  readonly issuer?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const APPS = '/apis/apps/v1/namespaces';
/** The ServiceAccount is read at most this often, whatever the interval: bounded API load. */
const SA_REFRESH_MS = 1000;
const enc = encodeURIComponent;

export class KubeSession {
  private client?: Promise<{ client: KubeClient; namespace: string; issuer?: string }>;
  private pod?: PodView;
  private pending?: Promise<KubeSnapshot>;
  private sa?: { view: ServiceAccountView; at: number };

  constructor(
    private readonly env: Env,
    private readonly target: KubeTarget,
    private readonly inClusterDir?: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether anything points at a cluster; when not, nothing is loaded. */
  get configured(): boolean {
    return Boolean(this.env.KUBECONFIG || this.env.KUBERNETES_SERVICE_HOST);
  }

  /** The pod read by an earlier cycle, if any (for Events). */
  get knownPod(): PodView | undefined {
    return this.pod;
  }

  async connection(): Promise<{ client: KubeClient; namespace: string; issuer?: string }> {
    this.client ??= this.connect();
    return this.client;
  }

  private async connect(): Promise<{ client: KubeClient; namespace: string; issuer?: string }> {
    const [{ loadKubeAccess }, { KubeClient }] = await Promise.all([import('./access.js'), import('./client.js')]);
    const access: KubeAccess = await loadKubeAccess(this.env, this.inClusterDir).catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    const issuer = access.tokenFile ? await issuerOf(access.tokenFile) : undefined;
    return { client: new KubeClient(access), namespace: this.target.namespace ?? access.namespace ?? 'default', ...(issuer ? { issuer } : {}) };
  }

  /**
   * Starts this cycle's read now, so it overlaps the AWS checks instead of
   * adding to the cycle; the k8s check picks it up with read().
   */
  prefetch(timeoutMs: number): void {
    if (!this.configured || this.pending !== undefined) return;
    this.pending = this.readNow(AbortSignal.timeout(timeoutMs));
    this.pending.catch(() => undefined);
  }

  /** The prefetched read if one is under way, else a new one. */
  read(signal: AbortSignal): Promise<KubeSnapshot> {
    const pending = this.pending;
    this.pending = undefined;
    return pending ?? this.readNow(signal);
  }

  private async readNow(signal: AbortSignal): Promise<KubeSnapshot> {
    const { client, namespace, issuer } = await this.connection();
    const ns = enc(namespace);
    this.pod ??= await this.readPod(client, ns, signal);
    if (this.sa === undefined || this.now() - this.sa.at >= SA_REFRESH_MS) {
      const at = this.now();
      const sa = await client.get(`/api/v1/namespaces/${ns}/serviceaccounts/${enc(this.pod.serviceAccount)}`, signal);
      this.sa = { view: serviceAccountView(sa), at };
    }
    return { pod: this.pod, serviceAccount: this.sa.view, ...(issuer ? { issuer } : {}) };
  }

  private async readPod(client: KubeClient, ns: string, signal: AbortSignal): Promise<PodView> {
    const pod = await client.get(`/api/v1/namespaces/${ns}/pods/${enc(this.target.podName)}`, signal);
    return podView(pod, await this.ownerChain(client, ns, pod, signal));
  }

  /** Pod → ReplicaSet → Deployment (named by the ReplicaSet's controller reference), or the StatefulSet/DaemonSet/Job that owns the pod. */
  private async ownerChain(client: KubeClient, ns: string, pod: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<Workload> {
    const owner = controllerOf(pod);
    const self = { kind: 'pod', name: String((pod.metadata as { name?: unknown })?.name ?? this.target.podName) };
    if (owner === undefined) return self;
    if (owner.kind !== 'ReplicaSet') return { kind: owner.kind.toLowerCase(), name: owner.name };
    const rs = await client.get(`${APPS}/${ns}/replicasets/${enc(owner.name)}`, signal);
    const top = controllerOf(rs);
    if (top?.kind !== 'Deployment') return { kind: 'replicaset', name: owner.name };
    return { kind: 'deployment', name: top.name };
  }

  close(): void {
    void this.client?.then((c) => c.client.close(), () => undefined);
  }
}

/** The `iss` claim of the pod's default service-account token: the cluster's OIDC issuer. The token itself is not kept. */
export async function issuerOf(tokenFile: string): Promise<string | undefined> {
  try {
    return decodeToken((await readTokenFile(tokenFile)).text).iss;
  } catch {
    return undefined;
  }
}
