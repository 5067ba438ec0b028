/**
 * Builds a Probe from the configuration: the mechanism, the STS endpoint and
 * the SDK-backed dependencies. Shared by `check` (which needs nothing else, so
 * it never loads express or prom-client) and by the serve runtime.
 */
import { stsEndpointFor } from './aws-names.js';
import type { ProbeDeps } from './checks/context.js';
import type { Config } from './config.js';
import { createDeps } from './deps.js';
import { detectMechanism, type MechanismInfo } from './mechanism.js';
import { Probe } from './probe.js';

export interface Wired {
  readonly probe: Probe;
  readonly mechanism: MechanismInfo;
  readonly stsEndpoint: string;
}

export function wireProbe(config: Config, opts: { deps?: ProbeDeps; now?: () => number } = {}): Wired {
  const mechanism = detectMechanism(config.aws);
  const stsEndpoint = stsEndpointFor(config.aws.region, config.aws.endpointUrlSts, config.aws.endpointUrl);
  const probe = new Probe({
    config,
    mechanism,
    deps: opts.deps ?? createDeps(config),
    stsEndpoint,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { probe, mechanism, stsEndpoint };
}
