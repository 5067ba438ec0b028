/** The one reader of Prometheus text exposition (what /metrics serves) for the tests, the soak and the bench. */

/** The value of the first sample `name` whose labels include every given pair, or undefined. */
export function sampleValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}=${JSON.stringify(v)}`))) return Number(m[3]);
  }
  return undefined;
}
