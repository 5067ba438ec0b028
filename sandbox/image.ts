/** What the image sets that every probe process of the demo, the tests and the bench runs with too. */
import { readFileSync } from 'node:fs';

/** The Dockerfile's `ENV NODE_OPTIONS=` (quotes removed). */
export function imageNodeOptions(): string {
  const m = /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
  if (m === null) throw new Error('the Dockerfile sets no ENV NODE_OPTIONS');
  return m[1]!.replace(/^"(.*)"$/, '$1');
}
