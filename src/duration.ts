/**
 * Durations as people write them in a manifest: `100ms`, `30s`, `5m`, `1h`,
 * `1m30s`, `1.5s`. Units go from largest to smallest, each at most once. A
 * bare number is rejected (is `30` seconds or milliseconds?) except `0`.
 */

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const UNIT_MS_BIG = { h: 3_600_000n, m: 60_000n, s: 1_000n, ms: 1n } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];

/** The form every duration error asks for. */
export const DURATION_FORM = 'a duration such as 100ms, 30s, 5m, 1h or 1m30s';

/** Longest text the parser looks at; longer input is rejected unread. */
export const MAX_DURATION_TEXT = 64;

export class DurationError extends Error {
  override readonly name = 'DurationError';
  /** What a valid value looks like, for a ConfigError's `expected`. */
  readonly expected: string;
  /** A short suggestion when the mistake is recognisable, e.g. `a bare number needs a unit: did you mean 30s?`. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
    this.expected = hint === undefined ? DURATION_FORM : `${DURATION_FORM} (${hint})`;
  }
}

const COMPONENT = /(\d+)(?:\.(\d+))?(ms|h|m|s)/y;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/** Parses a duration into whole milliseconds (finite, >= 0). Throws DurationError. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new DurationError(`a duration must be text, got ${typeof text}`);
  if (text.length === 0) throw new DurationError(`the duration is empty: expected ${DURATION_FORM}`);
  if (text.length > MAX_DURATION_TEXT) throw new DurationError(`the duration is ${text.length} characters long: expected ${DURATION_FORM}`);
  if (text === '0') return 0;
  if (BARE_NUMBER.test(text)) {
    const hint = `a bare number needs a unit: did you mean ${text}s?`;
    throw new DurationError(`${JSON.stringify(text)} has no unit: expected ${DURATION_FORM} (${hint})`, hint);
  }
  return sumComponents(text);
}

function sumComponents(text: string): number {
  // Exact decimal arithmetic: 1.1s is 1100 ms, not 1100.0000000000002.
  let total = 0n;
  let fractional = false;
  let position = 0;
  let lastRank = -1;
  while (position < text.length) {
    COMPONENT.lastIndex = position;
    const match = COMPONENT.exec(text);
    if (match === null) throw new DurationError(`${JSON.stringify(text)} is not a duration (unexpected ${JSON.stringify(text.slice(position, position + 8))}): expected ${DURATION_FORM}`);
    const unit = match[3] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) throw new DurationError(`${JSON.stringify(text)} repeats or misorders its units: expected ${DURATION_FORM}, largest unit first`);
    lastRank = rank;
    const size = UNIT_MS_BIG[unit];
    const fraction = match[2] ?? '';
    const scale = 10n ** BigInt(fraction.length);
    const scaled = BigInt(match[1] ?? '0') * size * scale + BigInt(fraction === '' ? '0' : fraction) * size;
    if (scaled % scale !== 0n) fractional = true;
    total += scaled / scale;
    position = COMPONENT.lastIndex;
  }
  if (fractional) throw new DurationError(`${JSON.stringify(text)} is not a whole number of milliseconds: expected ${DURATION_FORM}`);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new DurationError(`${JSON.stringify(text)} is too large: expected ${DURATION_FORM}`);
  return Number(total);
}

/** Formats milliseconds (rounded to whole ms) the way parseDuration reads them: 100ms, 30s, 5m, 1h30m, 1s500ms; 0 is `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new DurationError(`cannot format ${String(ms)} as a duration: expected finite milliseconds >= 0`);
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}

/**
 * A duration for a message: milliseconds below a second, whole seconds (cut,
 * not rounded) up to 2 h and whole minutes beyond, in formatDuration's form
 * (450ms, 3m20s, 23h59m). The one formatter for every cause and message.
 */
export function describeDuration(ms: number): string {
  const safe = Number.isFinite(ms) ? Math.max(0, ms) : 0;
  if (safe < 1000) return formatDuration(Math.round(safe));
  const s = Math.floor(safe / 1000);
  return formatDuration((s < 7200 ? s : Math.round(s / 60) * 60) * 1000);
}
