/**
 * Server-side printing, as the API server does for `kubectl get`: a
 * meta.k8s.io/v1 Table with the columns kubectl shows for pods and events.
 * Other resources answer a plain list and kubectl prints NAME and AGE.
 */
import { valueAt as get, type KubeObject } from './kube-objects.js';

type Cell = string | number;
interface Columns {
  readonly names: readonly string[];
  readonly cells: (o: Record<string, unknown>, now: number) => Cell[];
}

/** 45s, 12m, 5h, 3d: kubectl's short ages. */
export function age(fromIso: unknown, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(String(fromIso))) / 1000));
  if (!Number.isFinite(seconds)) return '<unknown>';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

const COLUMNS: Record<string, Columns> = {
  Pod: {
    names: ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
    cells: (o, now) => {
      const statuses = (get(o, 'status.containerStatuses') as Array<{ ready?: boolean; restartCount?: number }> | undefined) ?? [];
      const ready = `${statuses.filter((s) => s.ready).length}/${statuses.length}`;
      return [String(get(o, 'metadata.name')), ready, String(get(o, 'status.phase') ?? 'Unknown'), statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0), age(get(o, 'metadata.creationTimestamp'), now)];
    },
  },
  Event: {
    names: ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
    cells: (o, now) => [
      age(get(o, 'lastTimestamp') ?? get(o, 'metadata.creationTimestamp'), now),
      String(get(o, 'type') ?? ''),
      String(get(o, 'reason') ?? ''),
      `${String(get(o, 'involvedObject.kind') ?? '').toLowerCase()}/${String(get(o, 'involvedObject.name') ?? '')}`,
      String(get(o, 'message') ?? ''),
    ],
  },
};

/** Whether the client asked for a Table (kubectl does for `get` without -o). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').includes('as=Table');
}

export function table(kind: string, items: readonly KubeObject[], resourceVersion: string, now = Date.now()): object | undefined {
  const columns = COLUMNS[kind];
  if (columns === undefined) return undefined;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.names.map((name, i) => ({ name, type: name === 'Restarts' ? 'integer' : 'string', format: i === 0 && kind !== 'Event' ? 'name' : '', description: name, priority: 0 })),
    rows: items.map((o) => ({ cells: columns.cells(o, now), object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })),
  };
}
