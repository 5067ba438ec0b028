/**
 * Fixed-rate HTTP load with autocannon, run from the benchmark's own process
 * (a second process to the server under test). Latencies are kept raw (float
 * milliseconds per response) so percentiles are exact, not autocannon's
 * whole-millisecond histogram.
 */
import autocannon from 'autocannon';
import { percentile } from './stats.js';

export interface LoadOptions {
  readonly url: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface LoadResult {
  readonly url: string;
  readonly connections: number;
  readonly targetRate: number;
  readonly achievedRate: number;
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** autocannon's own p99 (whole ms, corrected for coordinated omission). */
  readonly autocannonP99Ms: number;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      { url: options.url, connections: options.connections, duration: options.seconds, overallRate: options.ratePerSecond, pipelining: 1, timeout: 10 },
      (error, result) => {
        if (error) return reject(error);
        if (latencies.length === 0) return reject(new Error(`no responses from ${options.url} (errors ${result.errors}, timeouts ${result.timeouts})`));
        resolve({
          url: options.url,
          connections: options.connections,
          targetRate: options.ratePerSecond,
          achievedRate: latencies.length / result.duration,
          responses: latencies.length,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          maxMs: latencies.reduce((a, b) => Math.max(a, b), 0),
          autocannonP99Ms: result.latency.p99,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}
