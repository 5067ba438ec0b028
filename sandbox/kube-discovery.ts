/**
 * What the emulated API server tells clients about itself: /version, the API
 * groups and the resource lists kubectl reads before it names a resource.
 */

export interface ResourceType {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly shortNames: readonly string[];
  readonly singular: string;
}

const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', shortNames: ['po'], singular: 'pod' },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], singular: 'serviceaccount' },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'], singular: 'event' },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], singular: 'replicaset' },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'], singular: 'deployment' },
];

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** The served type of a kind (`Pod` → pods), or undefined. */
export function typeOfKind(kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.kind === kind);
}

export function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function version(): object {
  return { major: '1', minor: '32', gitVersion: 'v1.32.0-irsa-probe-sandbox', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64' };
}

export function coreVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function groupList(): object {
  const gv = { groupVersion: 'apps/v1', version: 'v1' };
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [gv], preferredVersion: gv }] };
}

/** The APIResourceList of one group version, or undefined when it is not served. */
export function resourceList(group: string, groupVersion: string): object | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === groupVersion);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? groupVersion : `${group}/${groupVersion}`,
    resources: types.map((t) => ({ name: t.resource, singularName: t.singular, namespaced: true, kind: t.kind, verbs: VERBS, shortNames: t.shortNames })),
  };
}
