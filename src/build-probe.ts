/**
 * Builds a Probe from the configuration: the mechanism, the STS endpoint and
 * the SDK-backed dependencies. Shared by `check` (which needs nothing else, so
 * it never loads express or prom-client) and by `serve` (serve-state.ts).
 */
import { stsEndpointFor } from './aws-names.js';
import type { ProbeDeps } from './checks/context.js';
import type { Config } from './config.js';
import { createAwsClients } from './aws-clients.js';
import { KubeSession } from './kube/session.js';
import { detectMechanism, type MechanismInfo } from './mechanism.js';
import { redactUrl } from './redact.js';
import { Probe } from './probe.js';

export interface BuiltProbe {
  readonly probe: Probe;
  readonly mechanism: MechanismInfo;
  readonly stsEndpoint: string;
  /** The Kubernetes view's connection (inactive unless KUBECONFIG or KUBERNETES_SERVICE_HOST is set). */
  readonly kube: KubeSession;
}

export function buildProbe(config: Config, opts: { deps?: ProbeDeps; now?: () => number; env?: Readonly<Record<string, string | undefined>> } = {}): BuiltProbe {
  const mechanism = detectMechanism(config.aws);
  // Shown in /status, the info metric, causes and logs: no userinfo or query from AWS_ENDPOINT_URL*.
  const stsEndpoint = redactUrl(stsEndpointFor(config.aws.region, config.aws.endpointUrlSts, config.aws.endpointUrl));
  // Injected (fake) deps mean a test: it reaches a cluster only when it passes env itself.
  const env = opts.env ?? (opts.deps ? {} : process.env);
  const kube = new KubeSession(env, { podName: config.podName, ...(config.namespace ? { namespace: config.namespace } : {}) });
  const probe = new Probe({
    config,
    mechanism,
    deps: opts.deps ?? createAwsClients(config, mechanism.mechanism),
    stsEndpoint,
    kube,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { probe, mechanism, stsEndpoint, kube };
}
