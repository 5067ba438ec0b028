/**
 * The Kubernetes view: reads the pod, its owners and its ServiceAccount
 * (read-only, least privilege) and explains what the environment alone
 * cannot. Advisory: it passes with warnings or skips with one line saying why
 * the view is off; it never fails the probe.
 */
// Types only: the client (node:https) and the kubeconfig reader load when the view is on.
import type { KubeAccessError } from '../kube/access.js';
import type { KubeApiError } from '../kube/client.js';
import { kubeFindings } from '../kube/findings.js';
import { pass, skip, type CheckContext, type Verdict } from './context.js';

const RBAC_HINT = 'apply the Role and RoleBinding of k8s/base/rbac.yaml (get pods, serviceaccounts, replicasets; create and patch events)';

export async function k8sCheck(ctx: CheckContext): Promise<Verdict> {
  const kube = ctx.kube;
  if (kube === undefined || !kube.configured) return skip('Kubernetes view off: not in a cluster (neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set)');
  let snapshot;
  try {
    snapshot = await kube.read(ctx.signal);
  } catch (error) {
    // Paths and server text are untrusted: skip() makes the message one line.
    return skip(`Kubernetes view off: ${whyOff(error, ctx)}`);
  }
  ctx.state.kube = snapshot;
  const token = ctx.earlier?.find((r) => r.name === 'token');
  const findings = kubeFindings(snapshot.pod, snapshot.serviceAccount, {
    mechanism: ctx.mechanism.mechanism,
    roleArn: ctx.config.aws.roleArn,
    expectedRoleArn: ctx.config.expectedRoleArn,
    audience: ctx.audience,
    tokenFile: ctx.mechanism.mechanism === 'pod-identity' ? ctx.config.aws.containerAuthorizationTokenFile : ctx.config.aws.webIdentityTokenFile,
    tokenProblem: token?.status === 'fail' ? token.reason : undefined,
  });
  const { pod, serviceAccount } = snapshot;
  const role = serviceAccount.roleArn === undefined ? 'no role annotation' : `role ${serviceAccount.roleArn}`;
  return pass(`pod ${pod.namespace}/${pod.name} of ${pod.workload.kind}/${pod.workload.name}, ServiceAccount ${serviceAccount.name} (${role})`, findings);
}

/** One line: what kept the view off and what to do. */
export function whyOff(error: unknown, ctx: Pick<CheckContext, 'config' | 'signal'>): string {
  const e = error as Partial<KubeAccessError & KubeApiError>;
  const message = String(e.message ?? error);
  if (e.name === 'KubeAccessError') return message;
  if (ctx.signal.aborted) return 'the Kubernetes API did not answer in time';
  if (e.name !== 'KubeApiError') return `unexpected error: ${message}`;
  if (e.status === 403) return `forbidden (${message}): ${RBAC_HINT}`;
  if (e.status === 401) return 'the API server refused the credentials (401 Unauthorized): check automountServiceAccountToken and the kubeconfig user';
  if (e.status === 404 && message.includes('/pods/')) return `pod ${ctx.config.namespace ?? '(namespace unknown)'}/${ctx.config.podName} not found: set POD_NAME and POD_NAMESPACE from the downward API (fieldRef metadata.name, metadata.namespace)`;
  if (e.status === 0) return `cannot reach the API server: ${message}`;
  return message;
}
