/**
 * Events on the probe's own pod for every readiness transition, visible in
 * `kubectl describe pod` and `kubectl get events`. Repeats of the same event
 * are aggregated as kubelet does: one Event whose count and lastTimestamp grow.
 */
import { oneLine } from '../redact.js';
import type { Report } from '../types.js';
import type { KubeSession } from './session.js';
import type { PodView } from './view.js';

const READY_REASON = 'IrsaProbeReady';
const NOT_READY_REASON = 'IrsaProbeNotReady';
const COMPONENT = 'irsa-probe';
/** The API server caps an Event's message at 1 KiB in events.k8s.io; stay under it. */
const MAX_MESSAGE = 1000;

/** `check: reason — first line of the fix` for the first failing check, or the passing summary. */
export function eventFor(ready: boolean, report: Report | undefined, cause: string): { type: 'Normal' | 'Warning'; reason: string; message: string } {
  if (ready) return { type: 'Normal', reason: READY_REASON, message: clean(`irsa-probe is ready: ${cause}`) };
  const failed = report?.checks.find((c) => c.status === 'fail');
  if (failed === undefined) return { type: 'Warning', reason: NOT_READY_REASON, message: clean(`irsa-probe is not ready: ${cause}`) };
  const fix = failed.findings.find((f) => f.severity === 'error')?.fix.split('\n').find((l) => l.trim() !== '')?.trim();
  return { type: 'Warning', reason: NOT_READY_REASON, message: clean(`check ${failed.name} failed: ${failed.reason ?? 'unknown'}${fix ? `. Fix: ${fix}` : ''}`) };
}

function clean(text: string): string {
  return oneLine(text).slice(0, MAX_MESSAGE);
}

interface Posted {
  readonly name: string;
  count: number;
}

export class EventRecorder {
  private readonly posted = new Map<string, Posted>();

  constructor(
    private readonly session: KubeSession,
    private readonly now: () => number = Date.now,
  ) {}

  /** Posts the event (or bumps the count of the same one); rejects with the API error. */
  async record(event: { type: string; reason: string; message: string }, signal: AbortSignal): Promise<void> {
    const pod = this.session.knownPod;
    if (pod === undefined) throw new Error('the pod has not been read yet');
    const { client } = await this.session.connection();
    const base = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`;
    const key = `${event.type}\u0000${event.reason}\u0000${event.message}`;
    const at = new Date(this.now()).toISOString();
    const seen = this.posted.get(key);
    if (seen !== undefined) {
      try {
        await client.patch(`${base}/${encodeURIComponent(seen.name)}`, { count: seen.count + 1, lastTimestamp: at }, signal);
        seen.count += 1;
        return;
      } catch (error) {
        // An Event expires (1 h by default): post a new one.
        if ((error as { status?: number }).status !== 404) throw error;
      }
    }
    const name = `${pod.name}.${(BigInt(this.now()) * 1_000_000n).toString(16)}`;
    await client.create(base, eventObject(pod, name, event, at), signal);
    this.posted.set(key, { name, count: 1 });
  }
}

function eventObject(pod: PodView, name: string, e: { type: string; reason: string; message: string }, at: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: pod.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
    type: e.type,
    reason: e.reason,
    message: e.message,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: pod.name,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}
