/**
 * Is RSS growth a leak? `serve --interval 100ms` with Node's
 * --heapsnapshot-signal: a heap snapshot (which runs a full GC first) at two
 * cycle counts gives the live heap at each, free of GC timing and of V8's
 * heap sizing, which is what RSS mostly follows.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { httpGet, sleep } from './http.js';
import { memory } from './proc.js';
import { startProbe, type ServerProcess } from './server-process.js';

export interface LeakPoint {
  readonly cycle: number;
  readonly liveHeapBytes: number;
  readonly heapObjects: number;
  readonly rssBytes: number;
}

export interface LeakResult {
  readonly points: readonly LeakPoint[];
  /** What grew most between the first and the last snapshot. */
  readonly grew: readonly GroupGrowth[];
  /** Live heap growth per 1,000 cycles between the first and the last point. */
  readonly bytesPer1000Cycles: number;
}

export interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types?: unknown[] } };
  nodes: number[];
  strings?: string[];
}

export interface HeapCensus {
  readonly bytes: number;
  readonly objects: number;
  /** Count and bytes per "type:constructor" (strings, code and numbers by type only). */
  readonly groups: ReadonlyMap<string, { count: number; bytes: number }>;
}

const BY_TYPE_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'code', 'number', 'hidden', 'synthetic']);

/** Live bytes, object count and a census by constructor of a V8 heap snapshot. */
export function liveHeap(snapshot: Snapshot): HeapCensus {
  const fields = snapshot.snapshot.meta.node_fields;
  const at = fields.indexOf('self_size');
  if (at < 0) throw new Error('heap snapshot without self_size');
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const types = (snapshot.snapshot.meta.node_types?.[0] as string[] | undefined) ?? [];
  const groups = new Map<string, { count: number; bytes: number }>();
  let bytes = 0;
  for (let k = 0; k < snapshot.nodes.length; k += fields.length) {
    const size = snapshot.nodes[k + at]!;
    bytes += size;
    const type = types[snapshot.nodes[k + typeAt]!] ?? '?';
    const key = BY_TYPE_ONLY.has(type) ? type : `${type}:${snapshot.strings?.[snapshot.nodes[k + nameAt]!] ?? '?'}`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += size;
    groups.set(key, g);
  }
  return { bytes, objects: snapshot.nodes.length / fields.length, groups };
}

export interface GroupGrowth {
  readonly group: string;
  readonly count: number;
  readonly bytes: number;
}

/** The groups that grew most in bytes from `a` to `b`. */
export function topGrowth(a: HeapCensus, b: HeapCensus, n: number): GroupGrowth[] {
  const out: GroupGrowth[] = [];
  for (const [group, after] of b.groups) {
    const before = a.groups.get(group) ?? { count: 0, bytes: 0 };
    out.push({ group: group.slice(0, 80), count: after.count - before.count, bytes: after.bytes - before.bytes });
  }
  return out.sort((x, y) => y.bytes - x.bytes).slice(0, n);
}

async function snapshotNow(probe: ServerProcess, dir: string): Promise<HeapCensus> {
  const before = new Set(await readdir(dir));
  probe.child.process.kill('SIGUSR2');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const fresh = (await readdir(dir)).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    // Node writes the snapshot on the main thread: once it answers again, the file is complete.
    if (fresh !== undefined && (await httpGet(probe.url('/livez'), 30_000)).status === 200) {
      const path = join(dir, fresh);
      const live = liveHeap(JSON.parse(await readFile(path, 'utf8')) as Snapshot);
      await rm(path, { force: true });
      return live;
    }
  }
  throw new Error(`no heap snapshot from ${probe.child.name} within 120 s:\n${probe.child.tail()}`);
}

/** Live heap growth per 1,000 cycles from point `from` to the last (0: from the first). */
export function leakSlope(points: readonly LeakPoint[], from = 0): number {
  const a = points[from];
  const b = points.at(-1);
  if (a === undefined || b === undefined || b.cycle === a.cycle) return 0;
  return ((b.liveHeapBytes - a.liveHeapBytes) * 1000) / (b.cycle - a.cycle);
}

/** After warm-up: from the second snapshot when there are three or more. */
export function settledSlope(points: readonly LeakPoint[]): { from: number; bytesPer1000Cycles: number } {
  const from = points.length >= 3 ? 1 : 0;
  return { from: points[from]?.cycle ?? 0, bytesPer1000Cycles: leakSlope(points, from) };
}

export async function leakCheck(ctx: BenchContext, cycles: readonly number[]): Promise<LeakResult> {
  const dir = join(ctx.dir, 'heap');
  await mkdir(dir, { recursive: true });
  const env = { ...ctx.probeEnv, NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` };
  const probe = await startProbe(ctx.children, env, ['--interval', '100ms']);
  try {
    await probe.waitReady(30_000);
    const points: LeakPoint[] = [];
    const censuses: HeapCensus[] = [];
    for (const target of cycles) {
      while ((await probe.metric('irsa_probe_cycles_total')) < target) await sleep(2000);
      const cycle = await probe.metric('irsa_probe_cycles_total');
      const live = await snapshotNow(probe, dir);
      censuses.push(live);
      points.push({ cycle, liveHeapBytes: live.bytes, heapObjects: live.objects, rssBytes: memory(probe.pid).rssBytes });
      ctx.log(`heap snapshot at cycle ${cycle}: ${(live.bytes / 2 ** 20).toFixed(2)} MiB live in ${live.objects} objects`);
    }
    return { points, grew: topGrowth(censuses[0]!, censuses.at(-1)!, 8), bytesPer1000Cycles: leakSlope(points) };
  } finally {
    await ctx.children.stop(probe.child);
  }
}
