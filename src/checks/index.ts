/** The ordered list of checks: a plain map from name to check function. */
import type { CheckName } from '../types.js';
import { chainCheck } from './chain.js';
import type { Check } from './context.js';
import { envCheck } from './env.js';
import { s3Check } from './s3.js';
import { stsCheck } from './sts.js';
import { tokenCheck } from './token.js';

export const CHECKS: ReadonlyArray<readonly [CheckName, Check]> = [
  ['env', envCheck],
  ['token', tokenCheck],
  ['sts', stsCheck],
  ['chain', chainCheck],
  ['s3', s3Check],
];
