/**
 * Commands printed for a user to paste, and the values that go into them.
 * Every argument is shell-quoted (shlex, a port of Python's shlex.quote), and
 * a value from a token, a file or the environment that does not have the
 * shape AWS or Kubernetes allows is printed as "(invalid value)".
 */
import { join } from 'shlex';
import { hasUnprintable } from './redact.js';

export const INVALID_VALUE = '(invalid value)';

/**
 * One command line, each argument quoted for a POSIX shell. An argument with a
 * control or format character (a newline, ESC, a bidi override) is printed as
 * "(invalid value)": quoted, it would still span lines or hide what it runs.
 */
export function shellCommand(...args: readonly string[]): string {
  return join(args.map((a) => (hasUnprintable(a) ? INVALID_VALUE : a)));
}

/** Kubernetes names (RFC 1123 label and subdomain). */
export const NAMESPACE_SHAPE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const SERVICE_ACCOUNT_SHAPE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** An OIDC issuer URL as IAM takes it; no quote, backslash or template characters (it goes into Terraform strings too). */
export const ISSUER_SHAPE = /^https?:\/\/[A-Za-z0-9.-]{1,253}(:\d{1,5})?(\/[A-Za-z0-9._~-]+)*\/?$/;

/** `value` when it has the shape, INVALID_VALUE when it has not, `placeholder` when it is absent. */
export function shaped(value: string | undefined, shape: RegExp, placeholder: string): string {
  if (value === undefined) return placeholder;
  return shape.test(value) ? value : INVALID_VALUE;
}
