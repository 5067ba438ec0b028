/**
 * The emulated API server's objects: get, list (with field selectors),
 * create and merge-patch, resourceVersion and the managedFields that record
 * who last changed an annotation and when (what `kubectl annotate` leaves).
 */
import { randomUUID } from 'node:crypto';
import { typeOfKind, type ResourceType } from './kube-discovery.js';
import { annotationFields, valueAt, type KubeObject, type ManagedField, type Metadata } from './kube-objects.js';

export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function keyOf(resource: string, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

export class KubeStore {
  private readonly objects = new Map<string, KubeObject>();
  private version = 1;

  resourceVersion(): string {
    return String(this.version);
  }

  private bump(object: KubeObject): KubeObject {
    this.version += 1;
    object.metadata.resourceVersion = String(this.version);
    return object;
  }

  put(object: KubeObject): void {
    const type = typeOfKind(String(object.kind));
    if (type === undefined) throw new Error(`the sandbox's API server does not serve the kind ${JSON.stringify(object.kind)}`);
    this.objects.set(keyOf(type.resource, object.metadata.namespace ?? '', object.metadata.name), this.bump(structuredClone(object)));
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const object = this.objects.get(keyOf(type.resource, namespace, name));
    if (object === undefined) throw new StoreError(404, 'NotFound', `${type.resource}${type.group ? `.${type.group}` : ''} "${name}" not found`);
    return object;
  }

  list(type: ResourceType, namespace: string | undefined): KubeObject[] {
    const prefix = `${type.resource}/${namespace ?? ''}`;
    return [...this.objects.entries()].filter(([key]) => (namespace === undefined ? key.startsWith(`${type.resource}/`) : key.startsWith(`${prefix}/`))).map(([, o]) => o);
  }

  create(type: ResourceType, namespace: string, body: Record<string, unknown>): KubeObject {
    const metadata = (typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}) as Partial<Metadata>;
    const name = metadata.name ?? (typeof metadata.generateName === 'string' ? `${metadata.generateName}${randomUUID().slice(0, 5)}` : undefined);
    if (name === undefined) throw new StoreError(422, 'Invalid', `${type.kind} is invalid: metadata.name: Required value: name or generateName is required`);
    if (metadata.namespace !== undefined && metadata.namespace !== namespace) throw new StoreError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    if (this.objects.has(keyOf(type.resource, namespace, name))) throw new StoreError(409, 'AlreadyExists', `${type.resource} "${name}" already exists`);
    const object = { ...body, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: type.kind, metadata: { ...metadata, name, namespace, uid: randomUUID(), resourceVersion: '0', creationTimestamp: new Date().toISOString() } } as KubeObject;
    this.objects.set(keyOf(type.resource, namespace, name), this.bump(object));
    return object;
  }

  /** A JSON merge patch (RFC 7386); kubectl's strategic merge patches of annotations read the same. */
  patch(type: ResourceType, namespace: string, name: string, patch: Record<string, unknown>, manager: string): KubeObject {
    const current = this.get(type, namespace, name);
    const next = mergePatch(current, patch) as KubeObject;
    next.metadata = { ...next.metadata, name, namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
    const annotations = patch.metadata && typeof patch.metadata === 'object' ? (patch.metadata as Metadata).annotations : undefined;
    if (annotations) next.metadata.managedFields = recordManager(current.metadata.managedFields ?? [], manager, Object.keys(annotations));
    this.objects.set(keyOf(type.resource, namespace, name), this.bump(next));
    return next;
  }
}

/** The manager now owns the annotation keys it wrote; others lose them. */
function recordManager(fields: readonly ManagedField[], manager: string, keys: readonly string[]): ManagedField[] {
  const touched = (f: ManagedField) => keys.some((k) => JSON.stringify(f.fieldsV1).includes(JSON.stringify(`f:${k}`)));
  const kept = fields.filter((f) => f.manager !== manager && !touched(f));
  return [...kept, { manager, operation: 'Update', apiVersion: 'v1', time: new Date().toISOString(), fieldsType: 'FieldsV1', fieldsV1: annotationFields(keys) }];
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** `a.b=v,c.d!=w` (also `==`); an empty selector matches everything. */
export function selectorMatches(object: KubeObject, selector: string): boolean {
  return selector.split(',').filter((term) => term !== '').every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) return false;
    const value = valueAt(object, m[1]!);
    const equal = (value === undefined || value === null ? '' : String(value)) === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}
