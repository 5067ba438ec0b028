/**
 * Text from a token, a file or the environment, made safe to show: URLs lose
 * their userinfo and query (either may carry a secret), and control and
 * format characters (newlines, ESC, NUL, bidi overrides) are escaped, so a
 * value can neither forge a line nor reach a terminal raw.
 */

export const REDACTED_PART = '[redacted]';

/** Userinfo in any URL (or scheme-less `//authority`) inside free text; linear: the scan after `//` stops at the next `/`. */
const USERINFO = /((?:(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:)?\/\/)[^\s/?#@]*@/g;

/** A query string inside text that is not a URL as a whole. */
const QUERY = /\?[^\s#]*/g;

/** A URL for display: `user:pass@` and the query and fragment replaced by [redacted]. Other text keeps only its URLs' userinfo masked. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return redactUserinfo(text).replace(QUERY, `?${REDACTED_PART}`);
  }
  if (url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !text.includes('@')) return text;
  const userinfo = url.username !== '' || url.password !== '' ? `${REDACTED_PART}@` : '';
  const query = url.search !== '' || text.includes('?') ? `?${REDACTED_PART}` : '';
  const fragment = url.hash !== '' ? `#${REDACTED_PART}` : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}${fragment}`;
}

export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, `$1${REDACTED_PART}@`);
}

/** C0/C1 controls, format characters (bidi overrides, zero-width), line and paragraph separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const UNPRINTABLE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Whether text holds a control or format character (newlines included). */
export function hasUnprintable(text: string): boolean {
  return /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(text);
}

function escapeChar(c: string): string {
  return `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
}

/** One line of text: every control or format character (newlines too) as a \uXXXX escape. */
export function oneLine(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** Multi-line text: newlines kept (CRLF as LF), every other control or format character escaped. */
export function printable(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNPRINTABLE_BUT_NEWLINE, escapeChar);
}

/** Values longer than this are cut when shown in a message. */
export const MAX_SHOWN = 80;

/** Cuts a value for a message so a 1 MB variable never lands in a log line. */
export function truncate(value: string, max = MAX_SHOWN): string {
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

/** A value from input, for a message: cut, quoted as a JSON string, with every control or format character escaped. */
export function showValue(value: string, max = MAX_SHOWN): string {
  return oneLine(JSON.stringify(truncate(value, max)));
}

/** A list of input values for a message: each shown as showValue does, at most `most` of them. */
export function showList(values: readonly string[], most = 5): string {
  const shown = values.slice(0, most).map((v) => showValue(v));
  return `[${shown.join(', ')}${values.length > most ? `, … (${values.length} in all)` : ''}]`;
}
