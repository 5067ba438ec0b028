/**
 * What the pod's Kubernetes side explains that its environment cannot: the
 * ServiceAccount's role changed under a running pod (sa_annotation_drift),
 * the webhook never mutated the pod (webhook_not_applied), and where an
 * unusable token comes from (the projected volume, fsGroup/runAsUser).
 */
import type { Finding, Mechanism, Reason } from '../types.js';
import { shellCommand } from '../shell.js';
import { ROLE_ARN_ANNOTATION, type PodView, type ServiceAccountView } from './view.js';
import { oneLine } from '../redact.js';

export interface PodFacts {
  readonly mechanism: Mechanism;
  /** AWS_ROLE_ARN as this process sees it. */
  readonly roleArn?: string;
  readonly expectedRoleArn?: string;
  /** The token file the probe reads (IRSA or Pod Identity). */
  readonly tokenFile?: string;
  /** The token audience the probe expects (IRSA_PROBE_AUDIENCE or the mechanism's). */
  readonly audience: string;
  /** The token check's failure reason this cycle, if any. */
  readonly tokenProblem?: Reason;
}

const CHECK = 'k8s';

function finding(reason: Finding['reason'], cause: string, fix: string): Finding {
  return { check: CHECK, severity: 'warning', reason, cause, fix };
}

/** `kubectl rollout restart …` for the owning workload, or what recreates a bare pod. */
export function restartCommand(pod: PodView): string {
  const { kind, name } = pod.workload;
  if (kind === 'deployment' || kind === 'statefulset' || kind === 'daemonset') return shellCommand('kubectl', 'rollout', 'restart', '-n', pod.namespace, `${kind}/${name}`);
  if (kind === 'pod') return `${shellCommand('kubectl', 'delete', 'pod', '-n', pod.namespace, pod.name)}   # then re-create it from its manifest`;
  return `${shellCommand('kubectl', 'delete', 'pod', '-n', pod.namespace, pod.name)}   # its ${kind} ${name} creates a new one`;
}

function annotateCommand(pod: PodView, sa: string, roleArn: string): string {
  return shellCommand('kubectl', 'annotate', 'serviceaccount', '-n', pod.namespace, sa, `${ROLE_ARN_ANNOTATION}=${roleArn}`, '--overwrite');
}

export function kubeFindings(pod: PodView, sa: ServiceAccountView, facts: PodFacts): Finding[] {
  return [drift(pod, sa, facts), notApplied(pod, sa, facts), tokenVolume(pod, facts)].filter((f): f is Finding => f !== undefined);
}

function drift(pod: PodView, sa: ServiceAccountView, f: PodFacts): Finding | undefined {
  if (f.mechanism !== 'irsa' || f.roleArn === undefined || sa.roleArn === f.roleArn) return undefined;
  const who = `the ServiceAccount ${pod.namespace}/${sa.name}`;
  const now = sa.roleArn === undefined ? `${who} no longer has the ${ROLE_ARN_ANNOTATION} annotation` : `${who} is annotated with ${sa.roleArn}`;
  const cause = `${now}, but this pod runs as ${f.roleArn} (AWS_ROLE_ARN): the webhook sets the role only when a pod is created, so running pods keep the old one until they are replaced`;
  const fix = [
    `To move the workload to the ServiceAccount's ${sa.roleArn === undefined ? 'current setting' : 'new role'}, restart it:`,
    `  ${restartCommand(pod)}`,
    'If the pod\'s role is the right one, set the annotation back instead:',
    `  ${annotateCommand(pod, sa.name, f.roleArn)}`,
  ].join('\n');
  return finding('sa_annotation_drift', cause, fix);
}

function notApplied(pod: PodView, sa: ServiceAccountView, f: PodFacts): Finding | undefined {
  if (f.mechanism !== 'none') return undefined;
  const role = sa.roleArn ?? f.expectedRoleArn;
  if (role === undefined) return undefined;
  const who = `the ServiceAccount ${pod.namespace}/${sa.name}`;
  const mutated = pod.containers.filter((c) => c.injected).map((c) => c.name);
  const skipped = pod.skipContainers.length > 0 ? ` The pod's eks.amazonaws.com/skip-containers annotation lists ${pod.skipContainers.join(', ')}.` : '';
  const partly = mutated.length > 0 ? ` Other containers (${mutated.join(', ')}) were mutated, so this container was skipped.` : '';
  if (sa.roleArn === undefined) {
    const cause = `this pod has no identity variables and ${who} has no ${ROLE_ARN_ANNOTATION} annotation, while ${role} is expected: a pod identity association, if one exists, was made after the pod was created, or the EKS Pod Identity webhook did not run.${skipped}${partly}`;
    const fix = ['Check that an association exists for this ServiceAccount, then restart the workload:', `  ${shellCommand('aws', 'eks', 'list-pod-identity-associations', '--cluster-name', '<CLUSTER>', '--namespace', pod.namespace, '--service-account', sa.name)}`, `  ${restartCommand(pod)}`].join('\n');
    return finding('webhook_not_applied', cause, fix);
  }
  const created = pod.createdAt === undefined ? undefined : new Date(pod.createdAt).toISOString();
  const annotated = sa.annotatedAt === undefined ? undefined : new Date(sa.annotatedAt).toISOString();
  if (annotated !== undefined && created !== undefined && sa.annotatedAt! > pod.createdAt!) {
    const cause = `${who} was annotated with ${role} at ${annotated}, after this pod was created (${created}): the webhook mutates pods only when they are created, so this pod never got AWS_ROLE_ARN.`;
    return finding('webhook_not_applied', cause, ['Restart the workload so its new pods are mutated:', `  ${restartCommand(pod)}`].join('\n'));
  }
  const when = annotated !== undefined && created !== undefined ? ` (annotated ${annotated}, pod created ${created})` : ' (when it was annotated is not recorded)';
  const cause = `${who} carries ${ROLE_ARN_ANNOTATION}=${role} from before this pod was created${when}, yet the pod has no AWS_ROLE_ARN: the pod identity webhook did not mutate it (webhook down or unreachable with failurePolicy Ignore, or the container is listed in eks.amazonaws.com/skip-containers).${skipped}${partly}`;
  const fix = [
    'Check the webhook and the pod template, then restart the workload:',
    `  ${shellCommand('kubectl', 'get', 'mutatingwebhookconfiguration', 'pod-identity-webhook', '-o', 'jsonpath={.webhooks[*].failurePolicy}')}`,
    `  ${shellCommand('kubectl', 'get', 'pod', '-n', pod.namespace, pod.name, '-o', 'jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/skip-containers}')}`,
    `  ${restartCommand(pod)}`,
  ].join('\n');
  return finding('webhook_not_applied', cause, fix);
}

const TOKEN_PROBLEMS: ReadonlySet<string> = new Set(['token_missing', 'token_unreadable', 'token_expired', 'token_stale', 'token_audience']);

function tokenVolume(pod: PodView, f: PodFacts): Finding | undefined {
  if (f.tokenProblem === undefined || !TOKEN_PROBLEMS.has(f.tokenProblem)) return undefined;
  const volume = pod.tokenVolumes.find((v) => v.file !== undefined && v.file === f.tokenFile) ?? pod.tokenVolumes.find((v) => v.volume === 'aws-iam-token' || v.volume === 'eks-pod-identity-token');
  const source = volume === undefined
    ? `no projected serviceAccountToken volume of the pod spec is mounted at ${f.tokenFile ?? 'the token path'}`
    : `the token comes from the projected volume ${volume.volume} (serviceAccountToken audience ${volume.audience ?? '(the API server\'s)'}, expirationSeconds ${volume.expirationSeconds ?? 3600}${volume.file ? `, at ${volume.file}` : ''})`;
  const user = pod.containers.map((c) => c.runAsUser).find((u) => u !== undefined) ?? pod.runAsUser;
  if (f.tokenProblem === 'token_unreadable' && user !== undefined && user !== 0 && pod.fsGroup === undefined) {
    const patch = JSON.stringify({ spec: { template: { spec: { securityContext: { fsGroup: user } } } } });
    const cause = `${source}; the pod runs as user ${user} (runAsUser) without fsGroup, so kubelet writes the token readable by root only`;
    return finding('warning', cause, ['Set securityContext.fsGroup in the pod template:', `  ${shellCommand('kubectl', 'patch', '-n', pod.namespace, `${pod.workload.kind}/${pod.workload.name}`, '--type', 'merge', '-p', patch)}`].join('\n'));
  }
  const facts = `${source}; securityContext: runAsUser ${user ?? 'unset'}, fsGroup ${pod.fsGroup ?? 'unset'}`;
  return finding('warning', facts, `Compare the volume with what the probe expects (audience ${oneLine(f.audience)}, file ${oneLine(f.tokenFile ?? 'AWS_WEB_IDENTITY_TOKEN_FILE')}), and check kubelet on the pod's node: it refreshes the token at 80% of expirationSeconds.`);
}
