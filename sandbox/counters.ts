/** Request counters per emulator and operation, for GET /stats, tests and benchmarks. */

export const EMULATORS = ['issuer', 'sts', 'imds', 'podIdentity', 's3'] as const;
export type EmulatorName = (typeof EMULATORS)[number];

export interface OperationCount {
  requests: number;
  errors: number;
  /** Error codes answered (Throttling, AccessDenied, ...), counted. */
  codes: Record<string, number>;
}

export type Stats = Record<EmulatorName, Record<string, OperationCount>> & { tokenWrites: number };

export class Counters {
  private stats: Stats = Counters.empty();

  private static empty(): Stats {
    return { issuer: {}, sts: {}, imds: {}, podIdentity: {}, s3: {}, tokenWrites: 0 };
  }

  /** Counts one request; `errorCode` set when the answer was an error. */
  record(emulator: EmulatorName, operation: string, errorCode?: string): void {
    const table = this.stats[emulator];
    const count = (table[operation] ??= { requests: 0, errors: 0, codes: {} });
    count.requests += 1;
    if (errorCode !== undefined) {
      count.errors += 1;
      count.codes[errorCode] = (count.codes[errorCode] ?? 0) + 1;
    }
  }

  tokenWritten(): void {
    this.stats.tokenWrites += 1;
  }

  /** A deep copy: later requests do not change it. */
  snapshot(): Stats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = Counters.empty();
  }
}
