/**
 * CPU time and memory of a running process, read from /proc/<pid>/stat and
 * /proc/<pid>/status (Linux). Reading them costs the measured process nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CpuTicks {
  readonly utime: number;
  readonly stime: number;
}

/**
 * utime and stime (fields 14 and 15) from a /proc/<pid>/stat line. The command
 * name (field 2) is in parentheses and may itself hold spaces and ')', so the
 * fields are counted from the last ')'.
 */
export function parseStat(line: string): CpuTicks {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line: no ")"');
  const rest = line.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error('not a /proc/<pid>/stat line: no utime/stime');
  return { utime, stime };
}

export interface MemoryStatus {
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size ("high water mark"). */
  readonly hwmBytes: number;
}

/** VmRSS and VmHWM (kB) from /proc/<pid>/status, in bytes. */
export function parseStatus(text: string): MemoryStatus {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (m === null) throw new Error(`no ${key} in /proc/<pid>/status`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

let clockTicks: number | undefined;

/** Clock ticks per second (getconf CLK_TCK; 100 on every Linux this runs on). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const n = Number(out);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`getconf CLK_TCK printed ${JSON.stringify(out)}`);
    clockTicks = n;
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const t = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (t.utime + t.stime) / ticksPerSecond();
}

export function memory(pid: number): MemoryStatus {
  return parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}
