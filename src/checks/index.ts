/**
 * The checks, in the order they run. Each entry says everything the rest of
 * the probe needs to know about a check: its name, what it needs, the reason a
 * failure is counted under when it names none, and the function that runs it.
 * Adding a check is one entry here plus its module and its test (see
 * docs/architecture.md).
 */
import type { Reason } from '../types.js';
import { chainCheck } from './chain.js';
import type { Check } from './context.js';
import { envCheck } from './env.js';
import { rolesCheck } from './roles.js';
import { s3Check } from './s3.js';
import { stsCheck } from './sts.js';
import { tokenCheck } from './token.js';

export interface CheckEntry<N extends string = string> {
  readonly name: N;
  /** Checks that must have passed this cycle; otherwise this one is skipped. */
  readonly needs: readonly string[];
  /** Runs even when those did not pass, if the pod has no identity mechanism at all (it explains what the application gets instead). */
  readonly runsWithoutIdentity?: boolean;
  /** The reason a failure is counted under when the check crashed or named no reason. */
  readonly fallbackReason: Reason;
  readonly run: Check;
}

function entry<const N extends string>(e: CheckEntry<N>): CheckEntry<N> {
  return e;
}

export const CHECKS = [
  entry({ name: 'env', needs: [], fallbackReason: 'env_invalid', run: envCheck }),
  entry({ name: 'token', needs: ['env'], fallbackReason: 'token_malformed', run: tokenCheck }),
  entry({ name: 'sts', needs: ['token'], fallbackReason: 'sts_error', run: stsCheck }),
  entry({ name: 'roles', needs: ['sts'], fallbackReason: 'sts_error', run: rolesCheck }),
  entry({ name: 'chain', needs: ['sts'], runsWithoutIdentity: true, fallbackReason: 'chain_error', run: chainCheck }),
  entry({ name: 's3', needs: ['sts'], fallbackReason: 's3_error', run: s3Check }),
] as const;

export type CheckName = (typeof CHECKS)[number]['name'];

export const CHECK_NAMES: readonly CheckName[] = CHECKS.map((c) => c.name);

export function isCheckName(value: string): value is CheckName {
  return (CHECK_NAMES as readonly string[]).includes(value);
}
