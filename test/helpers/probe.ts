/** Builds configs and probes for unit tests, with the SDK faked at the client (aws-sdk-client-mock). */
import { loadConfig, type Config } from '../../src/config.js';
import type { ProbeDeps } from '../../src/checks/context.js';
import { createAwsClients } from '../../src/aws-clients.js';
import { detectMechanism } from '../../src/mechanism.js';
import { Probe } from '../../src/probe.js';

export const ROLE_ARN = 'arn:aws:iam::111122223333:role/payments-api';
export const ASSUMED_ARN = 'arn:aws:sts::111122223333:assumed-role/payments-api/irsa-probe-api-0';
export const NODE_ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc1234def567890';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue//////////wEaDEXAMPLE';

export function irsaEnv(tokenFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ROLE_ARN: ROLE_ARN,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_REGION: 'us-west-2',
    AWS_DEFAULT_REGION: 'us-west-2',
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    IRSA_PROBE_POD_NAME: 'api-0',
    ...extra,
  };
}

export function configFrom(env: Record<string, string>, argv: string[] = ['check']): Config {
  return loadConfig(argv, env).config;
}

/** A probe wired with the real production deps (whose SDK clients the test mocks), or overrides. */
export function probeFor(env: Record<string, string>, overrides: Partial<ProbeDeps> = {}, now?: () => number): Probe {
  const config = configFrom(env);
  const deps = { ...createAwsClients(config), ...overrides };
  return new Probe({ config, mechanism: detectMechanism(config.aws), deps, stsEndpoint: 'https://sts.us-west-2.amazonaws.com', now });
}

/** A default chain that resolves to the role itself (what a healthy pod's SDK gets). */
export const chainAsRole = async () => ({ accessKeyId: 'ASIACHAINKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN });

import type { CheckContext, CycleScratch, ProbeState } from '../../src/checks/context.js';

/** A check context for calling one check directly. */
export function contextFor(
  env: Record<string, string>,
  opts: { deps?: Partial<ProbeDeps>; now?: () => number; state?: ProbeState; cycle?: CycleScratch; sts?: string[] } = {},
): CheckContext {
  const config = configFrom(env);
  const mechanism = detectMechanism(config.aws);
  return {
    config,
    mechanism,
    signal: new AbortController().signal,
    now: opts.now ?? Date.now,
    deps: { ...createAwsClients(config), ...opts.deps },
    state: opts.state ?? { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' },
    cycle: opts.cycle ?? {},
    onStsRequest: (op, outcome) => opts.sts?.push(`${op}:${outcome}`),
    audience: config.audience ?? mechanism.defaultAudience ?? 'sts.amazonaws.com',
  };
}
