/**
 * The process metrics /metrics serves next to the probe's own: prom-client's
 * default collectors for CPU, resident memory, start time, file descriptors,
 * heap and version, without the ones that cost an idle sidecar wake-ups or
 * work on every collection (the event-loop-lag timer, the per-GC observer,
 * per-space heap series, active handles). bench/RESULTS.md has the numbers.
 */
import type { Registry } from 'prom-client';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';

const COLLECTORS = [processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors, heapSizeAndUsed, version];

export function collectProcessMetrics(registry: Registry): void {
  for (const collect of COLLECTORS) collect(registry, {});
}
