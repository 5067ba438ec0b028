/**
 * Real names in every fix: the placeholders a check writes when it cannot
 * know a value (`<NAMESPACE>`, `deployment/<DEPLOYMENT>`, `<ISSUER_URL>`…)
 * are replaced with what the probe knows from the token's claims, the
 * configuration and the Kubernetes view. A value is used only when it has the
 * shape of its kind (a Kubernetes name, 12 digits, an https URL), so it is safe
 * unquoted in a shell command and inside a JSON policy alike; otherwise the
 * placeholder stays.
 */
import { NAMESPACE_SHAPE, SERVICE_ACCOUNT_SHAPE } from './shell.js';
import type { Finding } from './types.js';

export interface KnownNames {
  readonly namespace?: string;
  readonly serviceAccount?: string;
  /** Lower-case kind (deployment, statefulset, …) and name of the owning workload. */
  readonly workload?: { readonly kind: string; readonly name: string };
  readonly issuerUrl?: string;
  /** The role the pod should have. */
  readonly roleArn?: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const ISSUER = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~-]+)*$/;
const RESTARTABLE = new Set(['deployment', 'statefulset', 'daemonset']);

function name(value: string | undefined, shape = SERVICE_ACCOUNT_SHAPE): string | undefined {
  return value !== undefined && shape.test(value) ? value : undefined;
}

/** Placeholder → value, for the values that are known and well formed. */
function table(n: KnownNames): Array<[string, string]> {
  const out: Array<[string, string | undefined]> = [];
  const workload = n.workload && name(n.workload.name) && RESTARTABLE.has(n.workload.kind) ? n.workload : undefined;
  if (workload) out.push(['deployment/<DEPLOYMENT>', `${workload.kind}/${workload.name}`], ['<DEPLOYMENT>', workload.name]);
  out.push(['<NAMESPACE>', name(n.namespace, NAMESPACE_SHAPE)], ['<SERVICE_ACCOUNT>', name(n.serviceAccount)]);
  if (n.issuerUrl && ISSUER.test(n.issuerUrl)) out.push(['<ISSUER_URL>', n.issuerUrl], ['<ISSUER_HOST_AND_PATH>', n.issuerUrl.slice('https://'.length)]);
  const role = n.roleArn ? ROLE_ARN.exec(n.roleArn) : null;
  if (role) out.push(['<ROLE_ARN>', n.roleArn!], ['<ACCOUNT_ID>', role[1]!], ['<ROLE_NAME>', role[2]!]);
  return out.filter((e): e is [string, string] => e[1] !== undefined);
}

export function fillNames(text: string, names: KnownNames): string {
  return table(names).reduce((t, [placeholder, value]) => t.split(placeholder).join(value), text);
}

export function withNames(findings: readonly Finding[], names: KnownNames): Finding[] {
  return findings.map((f) => ({ ...f, fix: fillNames(f.fix, names) }));
}
