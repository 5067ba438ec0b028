/** What the run shows beyond the targets, with the proposed change (for the lead: src/ is not edited from bench/). */
import { fmtCpu, fmtMiB } from './figures.js';
import { liveHeapSentence } from './misses.js';
import { cpuPerDefaultCycle, DEFAULT_INTERVAL_S, type Results } from './results.js';

function idleFinding(r: Results): string | undefined {
  const [serve, bare, metrics10, metrics1000] = r.load.idle;
  if (serve === undefined || bare === undefined || metrics10 === undefined || metrics1000 === undefined) return undefined;
  const idleShare = (r.load.idleCpuPerSecond * DEFAULT_INTERVAL_S) / cpuPerDefaultCycle(r);
  return [
    `**Idle CPU is most of \`serve\`'s cost at the defaults.** Between cycles \`serve\` used ${serve.cpuMsPerSecond.toFixed(2)} CPU-ms/s, ${(idleShare * 100).toFixed(0)}% of the ${fmtCpu(cpuPerDefaultCycle(r))} a check costs at the 60 s interval (the cycle itself: ${fmtCpu(r.steady.cpuSecondsPerCycle)}).`,
    `In the same window a bare Node.js server used ${bare.cpuMsPerSecond.toFixed(2)} CPU-ms/s; with prom-client's default metrics registered, as src/metrics.ts does, ${metrics10.cpuMsPerSecond.toFixed(2)} CPU-ms/s, and ${metrics1000.cpuMsPerSecond.toFixed(2)} CPU-ms/s when their event-loop-delay monitor samples every 1000 ms instead of every 10 ms.`,
    "The default metrics' event-loop monitor (a 10 ms libuv timer) wakes the process 100 times a second.",
    'Proposed (src/metrics.ts): `collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 })`; or register only the process metrics cAdvisor does not already provide.',
  ].join(' ');
}

function metricsFinding(r: Results): string {
  const m = r.load.metrics;
  const ready = r.load.readyz;
  const bare = r.load.defaultMetricsOnly;
  return `**A scrape costs ${m.serverCpuMsPerRequest.toFixed(2)} CPU-ms** (a /readyz answer ${(ready.serverCpuMsPerRequest * 1000).toFixed(0)} CPU-µs). A bare server exposing only prom-client's default metrics, scraped the same way, spends ${bare.serverCpuMsPerRequest.toFixed(2)} CPU-ms per scrape (p99 ${bare.p99Ms.toFixed(2)} ms): the default metrics (\`process.memoryUsage()\`, /proc reads, the event-loop-delay histogram's statistics) are ${((bare.serverCpuMsPerRequest / m.serverCpuMsPerRequest) * 100).toFixed(0)}% of a scrape, the probe's own series and express the rest. At one scrape every 15–60 s this is small next to the idle cost above; the same change (fewer default metrics) lowers both.`;
}

function memoryFinding(r: Results): string | undefined {
  if (r.leak === undefined) return undefined;
  const s = r.steady;
  return `**RSS follows V8's heap sizing, not a leak.** From cycle ${s.memoryFromCycle} on, \`serve\`'s RSS ranged ${fmtMiB(s.rssAfterFrom.min)}–${fmtMiB(s.rssAfterFrom.max)} (median ${fmtMiB(s.rssAfterFrom.median)}), so the two-point growth figure (${fmtMiB(s.rssEndBytes - s.rssFromBytes)}) says more about when V8 last collected than about growth. ${liveHeapSentence(r.leak)}`;
}

export function findings(r: Results): string {
  const items = [memoryFinding(r), idleFinding(r), metricsFinding(r)].filter((x): x is string => x !== undefined);
  return ['## Findings beyond the targets', '', ...items.map((i) => `- ${i}`), ''].join('\n');
}
