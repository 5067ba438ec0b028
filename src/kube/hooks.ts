/**
 * What the serve runtime does with the Kubernetes view after each cycle:
 * says once (per cause) why the view is off when the pod points at a cluster
 * (KUBECONFIG or KUBERNETES_SERVICE_HOST), and records an Event on the pod
 * for each readiness transition. Never throws and never waits: an API error
 * is logged once per cause, and the next cycle goes on.
 */
import type { Transition } from '../health.js';
import type { Logger } from '../log.js';
import type { Report } from '../types.js';
import { EventRecorder, eventFor } from './events.js';
import type { KubeSession } from './session.js';

export interface KubeHooks {
  afterCycle(report: Report, transition: Transition | undefined): void;
}

export function kubeHooks(session: KubeSession, log: Logger, timeoutMs: number, now: () => number): KubeHooks {
  const recorder = new EventRecorder(session, now);
  let viewState: string | undefined;
  let eventError: string | undefined;
  return {
    afterCycle(report, transition) {
      const view = report.checks.find((c) => c.name === 'k8s');
      const state = view === undefined ? undefined : view.status === 'pass' ? 'on' : view.message;
      // Outside a cluster nobody asked for the view: /status and `check` say why it is off.
      if (state !== undefined && state !== viewState && session.configured) {
        if (state === 'on') log.info('Kubernetes view on', { source: view?.message });
        else log.info(state.replace(/^skipped: /, ''));
        viewState = state;
      }
      if (transition === undefined || session.knownPod === undefined) return;
      recorder.record(eventFor(transition.ready, report, transition.cause), AbortSignal.timeout(timeoutMs)).then(
        () => (eventError = undefined),
        (error: unknown) => {
          const message = (error as Error).message;
          if (message !== eventError) log.warn('cannot record an Event on the pod', { error: message, hint: 'the Role needs create and patch on events' });
          eventError = message;
        },
      );
    },
  };
}
