/**
 * One value made safe to paste into a POSIX shell: left as is when it is made
 * only of characters no shell splits or expands, else single-quoted.
 */
export function shellWord(value: string): string {
  return /^[\w./:@%+,=-]+$/.test(value) && !value.startsWith('=') ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
