/** What the image sets that every probe process of the demo, the tests and the bench runs with too. */
import { readFileSync } from 'node:fs';

let nodeOptions: string | undefined;

/** The Dockerfile's `ENV NODE_OPTIONS=` (quotes removed), read once per process: a test run spawns hundreds of probes. */
export function imageNodeOptions(): string {
  nodeOptions ??= readNodeOptions();
  return nodeOptions;
}

function readNodeOptions(): string {
  const m = /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
  if (m === null) throw new Error('the Dockerfile sets no ENV NODE_OPTIONS');
  return m[1]!.replace(/^"(.*)"$/, '$1');
}
