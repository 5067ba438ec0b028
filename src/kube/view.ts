/**
 * The pod as the Kubernetes API holds it, reduced to what the diagnosis
 * needs: the identity variables and token volumes the webhook added (or not),
 * the security context, the owning workload, and the ServiceAccount's role
 * annotation with the time it was last written (from managedFields).
 */
import { SERVICE_ACCOUNT_SHAPE, shaped } from '../shell.js';
import type { KubeObject } from './client.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';

export interface TokenVolume {
  readonly volume: string;
  readonly audience?: string;
  readonly expirationSeconds?: number;
  /** Where some container mounts it (mountPath/path). */
  readonly file?: string;
}

export interface ContainerView {
  readonly name: string;
  /** The value of AWS_ROLE_ARN in its spec, when the webhook set it. */
  readonly roleArn?: string;
  /** The spec has AWS_ROLE_ARN or AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly injected: boolean;
  readonly runAsUser?: number;
}

export interface Workload {
  /** Lower-case kind as kubectl names it: deployment, statefulset, daemonset, job, replicaset, pod. */
  readonly kind: string;
  readonly name: string;
}

export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly createdAt?: number;
  readonly serviceAccount: string;
  readonly containers: readonly ContainerView[];
  readonly skipContainers: readonly string[];
  readonly tokenVolumes: readonly TokenVolume[];
  readonly fsGroup?: number;
  readonly runAsUser?: number;
  readonly workload: Workload;
}

export interface ServiceAccountView {
  readonly name: string;
  readonly roleArn?: string;
  /** When the role annotation was last written, if managedFields tell. */
  readonly annotatedAt?: number;
}

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const time = (v: unknown): number | undefined => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
};

/** A lower-case kind as kubectl names it. */
const KIND_SHAPE = /^[a-z][a-z0-9]{0,62}$/;

export function podView(pod: KubeObject, workload: Workload): PodView {
  const meta = obj(pod.metadata);
  const spec = obj(pod.spec);
  const annotations = obj(meta.annotations);
  const security = obj(spec.securityContext);
  const containers = arr(spec.containers).map(containerView);
  const mounts = new Map(arr(spec.containers).flatMap((c) => arr(c.volumeMounts)).map((m) => [str(m.name), str(m.mountPath)]));
  return {
    namespace: str(meta.namespace) ?? '',
    name: str(meta.name) ?? '',
    uid: str(meta.uid) ?? '',
    createdAt: time(meta.creationTimestamp),
    serviceAccount: str(spec.serviceAccountName) ?? 'default',
    containers,
    skipContainers: (str(annotations[SKIP_CONTAINERS_ANNOTATION]) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    tokenVolumes: tokenVolumes(arr(spec.volumes), mounts),
    fsGroup: num(security.fsGroup),
    runAsUser: num(security.runAsUser),
    // Owner references are input: a kind or name that Kubernetes would not allow is shown as "(invalid value)" in every fix.
    workload: { kind: shaped(workload.kind, KIND_SHAPE, 'pod'), name: shaped(workload.name, SERVICE_ACCOUNT_SHAPE, '') },
  };
}

function containerView(c: Obj): ContainerView {
  const env = new Map(arr(c.env).map((e) => [str(e.name), str(e.value)]));
  const roleArn = env.get('AWS_ROLE_ARN');
  return {
    name: str(c.name) ?? '',
    ...(roleArn ? { roleArn } : {}),
    injected: env.has('AWS_ROLE_ARN') || env.has('AWS_CONTAINER_CREDENTIALS_FULL_URI'),
    runAsUser: num(obj(c.securityContext).runAsUser),
  };
}

function tokenVolumes(volumes: readonly Obj[], mounts: Map<string | undefined, string | undefined>): TokenVolume[] {
  return volumes.flatMap((v) =>
    arr(obj(v.projected).sources)
      .map((s) => obj(s.serviceAccountToken))
      .filter((t) => Object.keys(t).length > 0)
      .map((t) => {
        const mountPath = mounts.get(str(v.name));
        const path = str(t.path);
        return { volume: str(v.name) ?? '', audience: str(t.audience), expirationSeconds: num(t.expirationSeconds), ...(mountPath && path ? { file: `${mountPath.replace(/\/+$/, '')}/${path}` } : {}) };
      }),
  );
}

/** The controller owner reference, as kind and name. */
export function controllerOf(object: KubeObject): { kind: string; name: string } | undefined {
  const owner = arr(obj(object.metadata).ownerReferences).find((o) => o.controller === true) ?? arr(obj(object.metadata).ownerReferences)[0];
  const kind = str(owner?.kind);
  const name = str(owner?.name);
  return kind && name ? { kind, name } : undefined;
}

export function serviceAccountView(sa: KubeObject): ServiceAccountView {
  const meta = obj(sa.metadata);
  const roleArn = str(obj(meta.annotations)[ROLE_ARN_ANNOTATION]);
  const key = JSON.stringify(`f:${ROLE_ARN_ANNOTATION}`);
  const writes = arr(meta.managedFields).filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes(key)).map((f) => time(f.time)).filter((t): t is number => t !== undefined);
  return { name: str(meta.name) ?? '', ...(roleArn ? { roleArn } : {}), ...(writes.length > 0 ? { annotatedAt: Math.max(...writes) } : {}) };
}
