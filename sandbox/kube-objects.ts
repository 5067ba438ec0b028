/**
 * The Kubernetes objects of the sandbox pod, as the API server would hold
 * them: the ServiceAccount, the Deployment → ReplicaSet → Pod chain, with the
 * pod spec the pod identity webhook would have produced (or not, for
 * `not-injected`).
 */
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { ROLE_ARN_ANNOTATION } from '../src/kube/view.js';
import type { EnvKind } from './scenarios.js';

export type KubeObject = Record<string, unknown> & { metadata: Metadata };

export interface Metadata {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller: boolean }>;
  managedFields?: ManagedField[];
  [key: string]: unknown;
}

export interface ManagedField {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
}

export interface PodFacts {
  readonly kind: EnvKind;
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly serviceAccount: string;
  readonly serviceAccountUid: string;
  readonly deployment: string;
  readonly roleArn: string;
  /** The webhook's env and volume, pointed at the sandbox's token files. */
  readonly irsaTokenFile: string;
  readonly podIdentityTokenFile: string;
  readonly podIdentityUrl: string;
  /** When the pod was created; the ServiceAccount was annotated an hour before. */
  readonly createdAt: Date;
}

const HOUR_MS = 3_600_000;

/** The managedFields entry's fieldsV1 for a writer that owns these annotation keys. */
export function annotationFields(keys: readonly string[]): Record<string, unknown> {
  return { 'f:metadata': { 'f:annotations': Object.fromEntries(keys.map((k) => [`f:${k}`, {}])) } };
}

/** The value at a dotted path (`metadata.name`), or undefined where the path leaves the object. */
export function valueAt(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), object);
}

function meta(name: string, namespace: string, uid: string, created: Date, extra: Partial<Metadata> = {}): Metadata {
  return { name, namespace, uid, resourceVersion: '1', creationTimestamp: created.toISOString(), ...extra };
}

export function serviceAccount(f: PodFacts): KubeObject {
  const annotatedAt = new Date(f.createdAt.getTime() - HOUR_MS);
  const annotated = f.kind !== 'pod-identity';
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(f.serviceAccount, f.namespace, f.serviceAccountUid, new Date(annotatedAt.getTime() - HOUR_MS), annotated
      ? { annotations: { [ROLE_ARN_ANNOTATION]: f.roleArn }, managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: annotatedAt.toISOString(), fieldsType: 'FieldsV1', fieldsV1: annotationFields([ROLE_ARN_ANNOTATION]) }] }
      : {}),
  };
}

/** The Deployment, its ReplicaSet and the Pod, each owned by the one before. */
export function workload(f: PodFacts): { deployment: KubeObject; replicaSet: KubeObject; pod: KubeObject } {
  const created = new Date(f.createdAt.getTime() - 2 * HOUR_MS);
  const labels = { app: f.deployment };
  const template = { metadata: { labels }, spec: { serviceAccountName: f.serviceAccount, containers: [{ name: 'app', image: 'public.ecr.aws/docker/library/busybox:stable' }] } };
  const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(f.deployment, f.namespace, randomUUID(), created, { labels }), spec: { replicas: 1, selector: { matchLabels: labels }, template }, status: { replicas: 1, readyReplicas: 1 } };
  const rsName = `${f.deployment}-7c9d5b8f6`;
  const owner = (o: KubeObject) => [{ apiVersion: String(o.apiVersion), kind: String(o.kind), name: o.metadata.name, uid: o.metadata.uid, controller: true }];
  const replicaSet: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(rsName, f.namespace, randomUUID(), created, { labels, ownerReferences: owner(deployment) }), spec: { replicas: 1, selector: { matchLabels: labels }, template }, status: { replicas: 1 } };
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: meta(f.podName, f.namespace, f.podUid, f.createdAt, { labels, ownerReferences: owner(replicaSet) }), spec: podSpec(f), status: podStatus(f) };
  return { deployment, replicaSet, pod };
}

/** What the webhook adds to every container: env and the token mount. */
function identity(f: PodFacts): { env: object[]; mounts: object[]; volumes: object[] } {
  const projected = (name: string, file: string, audience: string, expirationSeconds: number) => ({
    mounts: [{ name, mountPath: dirname(file), readOnly: true }],
    volumes: [{ name, projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience, expirationSeconds, path: basename(file) } }] } }],
  });
  switch (f.kind) {
    case 'irsa':
      return { env: [{ name: 'AWS_ROLE_ARN', value: f.roleArn }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: f.irsaTokenFile }], ...projected('aws-iam-token', f.irsaTokenFile, 'sts.amazonaws.com', 86400) };
    case 'pod-identity':
      return { env: [{ name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: f.podIdentityUrl }, { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: f.podIdentityTokenFile }], ...projected('eks-pod-identity-token', f.podIdentityTokenFile, 'pods.eks.amazonaws.com', 86400) };
    case 'not-injected':
      return { env: [], mounts: [], volumes: [] };
  }
}

function podSpec(f: PodFacts): Record<string, unknown> {
  const id = identity(f);
  const container = (name: string, image: string, env: object[]) => ({ name, image, env: [...env, ...id.env], volumeMounts: id.mounts });
  return {
    serviceAccountName: f.serviceAccount,
    nodeName: 'ip-10-0-1-23.us-west-2.compute.internal',
    securityContext: { runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532 },
    containers: [
      container('app', 'public.ecr.aws/docker/library/busybox:stable', []),
      container('irsa-probe', 'irsa-probe:sandbox', [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]),
    ],
    volumes: id.volumes,
  };
}

function podStatus(f: PodFacts): Record<string, unknown> {
  const at = f.createdAt.toISOString();
  const running = (name: string) => ({ name, ready: true, restartCount: 0, started: true, state: { running: { startedAt: at } }, image: name, imageID: '' });
  return {
    phase: 'Running',
    podIP: '10.0.1.57',
    hostIP: '10.0.1.23',
    startTime: at,
    qosClass: 'BestEffort',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }],
    containerStatuses: [running('app'), running('irsa-probe')],
  };
}
