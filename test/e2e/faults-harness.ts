/**
 * What the reliability tests share: a recording loopback proxy (HttpTap) to
 * put between the probe and an emulator, an Observer that samples a running
 * `serve` (readiness, reports, /livez) and measures one fault from switch-on
 * to recovery, and the measurement files (.tmp/reliability/*.json) that
 * docs/reliability.md's table is rendered from:
 *
 *   node dist/test/e2e/faults-harness.js table     prints the markdown table
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { Agent, createServer, get, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTING } from '../../src/settings.js';
import { JITTER } from '../../src/timings.js';
import type { Report } from '../../src/types.js';
import { startWorld, type World, type WorldOptions } from '../../sandbox/world.js';
import { ServeProcess } from '../helpers/process.js';

export const RESULTS_DIR = fileURLToPath(new URL('../../../.tmp/reliability/', import.meta.url));

// ---------------------------------------------------------------------------
// polling

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined, or throws after the deadline. */
export async function pollFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 30_000, everyMs = 25): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------
// HttpTap: a recording reverse proxy

export interface Exchange {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  /** STS Action (query or form body), S3 operation guess, or ''. */
  action: string;
  readonly startedAt: number;
  endedAt?: number;
  status?: number;
  /** answered: a response was sent; aborted: the client went away first; failed: upstream refused or broke. */
  outcome?: 'answered' | 'aborted' | 'failed';
  requestBody: string;
  responseBody: string;
}

const KEEP_BODY_BYTES = 256 * 1024;

/**
 * Forwards every request to `upstream` unchanged (the Host header too, so
 * SigV4 signatures still verify) and records it. Knobs: `hang` (accept and
 * never forward), `holdMs` (wait before forwarding), setRefusing (close the
 * listener and every connection; listen again on the same port).
 */
export class HttpTap {
  readonly exchanges: Exchange[] = [];
  hang = false;
  /** Hang only the requests this picks (e.g. one caller's AssumeRoleWithWebIdentity), on top of `hang`. */
  hangWhen: ((ex: Exchange) => boolean) | undefined;
  holdMs = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly upstream: URL,
  ) {}

  static async start(upstream: string): Promise<HttpTap> {
    const tap = new HttpTap(createServer(), new URL(upstream));
    tap.server.on('request', (req, res) => tap.handle(req, res));
    tap.server.on('connection', (socket: Socket) => {
      tap.sockets.add(socket);
      socket.once('close', () => tap.sockets.delete(socket));
    });
    await tap.listen(0);
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests received and not yet finished. */
  get pending(): number {
    return this.inFlight;
  }

  /** Client connections open right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Exchanges whose Action/operation is one of `actions` (all when empty). */
  calls(...actions: string[]): Exchange[] {
    return this.exchanges.filter((e) => actions.length === 0 || actions.includes(e.action));
  }

  async setRefusing(refuse: boolean): Promise<void> {
    if (refuse && this.server.listening) {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
      await closed;
    } else if (!refuse && !this.server.listening && !this.closed) {
      await this.listen(this.port);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hang = false;
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async listen(port: number): Promise<void> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(`http://tap${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
    const ex: Exchange = { seq: this.exchanges.length, method: req.method ?? 'GET', path: url.pathname, action: url.searchParams.get('Action') ?? '', startedAt: Date.now(), requestBody: '', responseBody: '' };
    this.exchanges.push(ex);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let upstreamReq: ReturnType<typeof request> | undefined;
    let holdTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: NonNullable<Exchange['outcome']>): void => {
      if (ex.outcome !== undefined) return;
      ex.outcome = outcome;
      ex.endedAt = Date.now();
      this.inFlight -= 1;
      clearTimeout(holdTimer);
      upstreamReq?.destroy();
    };
    res.once('close', () => finish(res.writableFinished ? 'answered' : 'aborted'));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      ex.requestBody = body.subarray(0, KEEP_BODY_BYTES).toString('utf8');
      ex.action ||= new URLSearchParams(ex.requestBody).get('Action') ?? s3Operation(ex.method, ex.path);
      if (this.hang || this.hangWhen?.(ex)) return;
      const forward = (): void => {
        if (ex.outcome !== undefined) return;
        upstreamReq = request({ host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
          const out: Buffer[] = [];
          answer.on('data', (c: Buffer) => out.push(c));
          answer.once('end', () => {
            const bytes = Buffer.concat(out);
            ex.status = answer.statusCode ?? 0;
            ex.responseBody = bytes.subarray(0, KEEP_BODY_BYTES).toString('utf8');
            const headers = { ...answer.headers };
            delete headers['transfer-encoding'];
            headers['content-length'] = String(bytes.length);
            if (!res.headersSent && !res.destroyed) res.writeHead(ex.status, headers);
            res.end(bytes);
          });
          answer.once('error', () => res.destroy());
        });
        upstreamReq.once('error', () => {
          finish('failed');
          res.destroy();
        });
        upstreamReq.end(body);
      };
      if (this.holdMs > 0) holdTimer = setTimeout(forward, this.holdMs);
      else forward();
    });
  }
}

function s3Operation(method: string, path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length < 2) return parts.length === 1 ? `${method} bucket` : '';
  return ({ PUT: 'PutObject', GET: 'GetObject', DELETE: 'DeleteObject', HEAD: 'HeadObject' } as Record<string, string>)[method] ?? method;
}

// ---------------------------------------------------------------------------
// Observer: samples a running `serve`

export interface Transition {
  readonly at: string;
  readonly ready: boolean;
  readonly cause: string;
}

export interface StatusDoc {
  readonly readiness: { readonly ready: boolean; readonly cause: string; readonly history: readonly Transition[] };
  readonly lastReport: Report | null;
}

export interface Sample {
  readonly at: number;
  readonly ready: boolean;
  readonly cause: string;
  readonly livez: number;
  readonly status: StatusDoc;
}

export class Observer {
  /** Every distinct report seen, by startedAt. */
  readonly reports = new Map<string, Report>();
  readonly samples: Sample[] = [];
  /** Every readiness transition seen in /status, by `at`. */
  readonly transitions = new Map<string, Transition>();

  /** Kept-alive connections: a sample costs a third of the CPU of two fetch() calls, and tests sample often. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 2 });

  constructor(readonly serve: ServeProcess) {}

  private get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      get(`${this.serve.url}${path}`, { agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', reject);
      }).once('error', reject);
    });
  }

  async sample(): Promise<Sample> {
    const [status, livez] = await Promise.all([this.get('/status').then((r) => JSON.parse(r.body) as StatusDoc), this.get('/livez').then((r) => r.status)]);
    const s: Sample = { at: Date.now(), ready: status.readiness.ready, cause: status.readiness.cause, livez, status };
    this.samples.push(s);
    if (status.lastReport) this.reports.set(status.lastReport.startedAt, status.lastReport);
    for (const t of status.readiness.history) this.transitions.set(t.at, t);
    return s;
  }

  until(what: string, predicate: (s: Sample) => boolean, deadlineMs = 30_000): Promise<Sample> {
    return pollFor(what, async () => {
      const s = await this.sample();
      return predicate(s) ? s : undefined;
    }, deadlineMs, SAMPLE_EVERY_MS);
  }

  /** Samples for `ms`, returning what was seen. */
  async watch(ms: number): Promise<Sample[]> {
    const from = this.samples.length;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await this.sample();
      await sleep(SAMPLE_EVERY_MS);
    }
    return this.samples.slice(from);
  }

  /** Reports that ended at or after `from` and started before `to`, oldest first. */
  reportsIn(from: number, to = Number.POSITIVE_INFINITY): Report[] {
    return [...this.reports.values()]
      .filter((r) => endOf(r) >= from && Date.parse(r.startedAt) < to)
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  }

  samplesIn(from: number, to = Number.POSITIVE_INFINITY): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  /** The first transition to `ready` at or after `from`. */
  transitionAfter(from: number, ready: boolean): Transition | undefined {
    return [...this.transitions.values()].filter((t) => t.ready === ready && Date.parse(t.at) >= from - 5).sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
  }
}

export function endOf(r: Report): number {
  return Date.parse(r.startedAt) + r.durationMs;
}

/** Pairs of consecutive reports where the later one started before the earlier one ended. */
export function overlaps(reports: readonly Report[]): number {
  let n = 0;
  for (let i = 1; i < reports.length; i++) if (Date.parse(reports[i]!.startedAt) < endOf(reports[i - 1]!) - 1) n += 1;
  return n;
}

export function failedReasons(reports: readonly Report[]): string[] {
  return [...new Set(reports.flatMap((r) => r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}:${c.reason ?? '?'}`)))].sort();
}

// ---------------------------------------------------------------------------
// one running probe of a test's own

/** What a test case runs against: its own sandbox, optionally a tap in front of one service, and a `serve`. */
export class Probed {
  serve!: ServeProcess;
  obs!: Observer;
  constructor(
    readonly world: World,
    private readonly tapped: HttpTap | undefined,
  ) {}

  get tap(): HttpTap {
    if (this.tapped === undefined) throw new Error('this probe has no tap: give withProbe a `tapping`');
    return this.tapped;
  }
}

export interface ProbeSetup {
  readonly world?: WorldOptions;
  /** The service to put an HttpTap in front of (the env then points the probe at `p.tap.url`). */
  readonly tapping?: (w: World) => string;
  /** The probe's environment (default: the sandbox's env file). */
  readonly env?: (p: Probed) => Record<string, string> | Promise<Record<string, string>>;
  /** `serve` flags (default: probeArgs(FAST), the defaults at a short interval). */
  readonly args?: readonly string[];
}

/**
 * Runs `body` against a probe of its own and stops everything after, pass or
 * fail. One fixture per test case lets a file's cases run side by side.
 */
export async function withProbe<T>(setup: ProbeSetup, body: (p: Probed) => Promise<T>): Promise<T> {
  const world = await startWorld(setup.world ?? {});
  let tap: HttpTap | undefined;
  let p: Probed | undefined;
  try {
    tap = setup.tapping ? await HttpTap.start(setup.tapping(world)) : undefined;
    p = new Probed(world, tap);
    p.serve = await ServeProcess.start(setup.env ? await setup.env(p) : { ...world.env }, [...(setup.args ?? probeArgs(FAST))]);
    p.obs = new Observer(p.serve);
    return await body(p);
  } finally {
    await p?.serve?.stop();
    await tap?.close();
    await world.stop();
  }
}

// ---------------------------------------------------------------------------
// measuring one fault

export interface Timing {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
}

/**
 * The timing the fault tests run the probe with: the defaults a user runs, with
 * only the interval shortened (the timeout and the failure threshold decide what
 * the probe can detect and when, so they stay as shipped).
 */
export const FAST: Timing = { intervalMs: 300, timeoutMs: SETTING.timeout.default, failureThreshold: SETTING.failureThreshold.default };
export { JITTER };
/** Scheduling and sampling slack on a loaded 2-core machine. */
export const SLACK_MS = 2_000;
/**
 * How often an Observer samples a running probe. Every sample is two requests
 * to a probe running under the image's --jitless: at 20 ms the sampling alone
 * tripled the CPU of a test. 100 ms is well inside SLACK_MS and shorter than any
 * interval a test runs, so no report goes unseen.
 */
export const SAMPLE_EVERY_MS = 100;

/** `serve` flags for a timing: only the interval; the timeout and the threshold must be the defaults. */
export function probeArgs(t: Timing): string[] {
  assert.equal(t.timeoutMs, SETTING.timeout.default, 'a test runs the default timeout');
  assert.equal(t.failureThreshold, SETTING.failureThreshold.default, 'a test runs the default failure threshold');
  return ['--interval', `${t.intervalMs}ms`];
}

/** Recovery bound: what is left of the cycle in flight, one interval with jitter, a healthy cycle, slack. */
export function recoveryBound(t: Timing): number {
  return t.timeoutMs + t.intervalMs * (1 + JITTER) + SLACK_MS;
}

export interface Measurement {
  readonly group: string;
  readonly fault: string;
  /** `check:reason` pairs the probe reported while the fault was on. */
  readonly reasons: readonly string[];
  /** ms from switching the fault on to /readyz turning 503; null when it never did. */
  readonly detectMs: number | null;
  /** Consecutive failed cycles Health counted when it flipped (0 when it flipped on staleness). */
  readonly failuresAtFlip: number | null;
  readonly flipCause: string | null;
  /** ms from clearing the fault to /readyz 200 again; null when not measured. */
  readonly recoverMs: number | null;
  readonly cyclesDuringFault: number;
  readonly failedCycles: number;
  readonly maxCycleMs: number;
  readonly maxCheckMs: number;
  readonly overlaps: number;
  readonly livezSamples: number;
  readonly livezNon200: number;
  readonly timing: Timing;
  readonly notes?: string;
}

export interface FaultSpec {
  readonly group: string;
  readonly fault: string;
  apply(): Promise<void>;
  clear(): Promise<void>;
  /** Keep the fault on for at least this long after the flip (to see steady failing cycles). Default 2 intervals. */
  readonly holdAfterFlipMs?: number;
  /** Deadline for the flip; default 30 s. */
  readonly flipDeadlineMs?: number;
  readonly notes?: string;
}

const CONSECUTIVE = /(\d+) consecutive failed cycles?/;

/** Healthy baseline → fault on → /readyz 503 → fault off → /readyz 200, measured. */
export async function measureFault(obs: Observer, timing: Timing, spec: FaultSpec): Promise<Measurement> {
  await obs.until(`${spec.fault}: a ready, passing baseline`, (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
  const t0 = Date.now();
  await spec.apply();
  let flip: Sample | undefined;
  try {
    flip = await obs.until(`${spec.fault}: /readyz to turn 503`, (s) => !s.ready, spec.flipDeadlineMs ?? 30_000);
  } catch {
    flip = undefined;
  }
  await obs.watch(spec.holdAfterFlipMs ?? 2 * timing.intervalMs);
  const t1 = Date.now();
  await spec.clear();
  let up: Sample | undefined;
  try {
    up = await obs.until(`${spec.fault}: /readyz to turn 200 again`, (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
  } catch {
    up = undefined;
  }
  return summarise(obs, timing, spec, { t0, t1, flip, up });
}

export function summarise(obs: Observer, timing: Timing, spec: Pick<FaultSpec, 'group' | 'fault' | 'notes'>, w: { t0: number; t1: number; flip?: Sample; up?: Sample }): Measurement {
  const during = obs.reportsIn(w.t0, w.t1);
  const transition = w.flip ? obs.transitionAfter(w.t0, false) : undefined;
  const cause = transition?.cause ?? w.flip?.cause ?? null;
  const livez = obs.samplesIn(w.t0, w.up?.at ?? Date.now());
  return {
    group: spec.group,
    fault: spec.fault,
    reasons: failedReasons(during),
    detectMs: w.flip ? w.flip.at - w.t0 : null,
    failuresAtFlip: cause === null ? null : Number(CONSECUTIVE.exec(cause)?.[1] ?? 0),
    flipCause: cause,
    recoverMs: w.up ? w.up.at - w.t1 : null,
    cyclesDuringFault: during.length,
    failedCycles: during.filter((r) => !r.ok).length,
    maxCycleMs: Math.max(0, ...during.map((r) => r.durationMs)),
    maxCheckMs: Math.max(0, ...during.flatMap((r) => r.checks.map((c) => c.durationMs))),
    overlaps: overlaps(obs.reportsIn(0)),
    livezSamples: livez.length,
    livezNon200: livez.filter((s) => s.livez !== 200).length,
    timing,
    ...(spec.notes ? { notes: spec.notes } : {}),
  };
}

/**
 * What every fault must show, whatever its reason: failed cycles with only the
 * expected reasons, each check and cycle within its timeout, no overlapping
 * cycles, /livez always 200, /readyz 503 and back within `recoverWithinMs`;
 * last, that readiness turned only after the failure threshold.
 */
export function assertSurvived(m: Measurement, expectedReasons: readonly string[], recoverWithinMs: number): void {
  const t = m.timing;
  assert.ok(m.failedCycles >= 1, `${m.fault}: no failed cycle was seen`);
  assert.ok(m.reasons.length > 0 && m.reasons.every((r) => expectedReasons.includes(r)), `${m.fault}: reported ${m.reasons.join(', ')}, expected only ${expectedReasons.join(' or ')}`);
  assert.ok(m.maxCheckMs <= t.timeoutMs + 500, `${m.fault}: a check took ${m.maxCheckMs} ms, timeout ${t.timeoutMs} ms`);
  assert.ok(m.maxCycleMs <= t.timeoutMs + 1_000, `${m.fault}: a cycle took ${m.maxCycleMs} ms, timeout ${t.timeoutMs} ms`);
  assert.equal(m.overlaps, 0, `${m.fault}: cycles overlapped`);
  assert.ok(m.livezSamples > 0 && m.livezNon200 === 0, `${m.fault}: /livez answered non-200 ${m.livezNon200} of ${m.livezSamples} times`);
  assert.notEqual(m.detectMs, null, `${m.fault}: /readyz never turned 503`);
  assert.notEqual(m.recoverMs, null, `${m.fault}: /readyz never came back`);
  assert.ok(m.recoverMs! <= recoverWithinMs, `${m.fault}: recovery took ${m.recoverMs} ms, expected within ${recoverWithinMs} ms`);
  assert.ok(m.failuresAtFlip !== null && m.failuresAtFlip >= t.failureThreshold, `${m.fault}: readiness turned after ${m.failuresAtFlip} consecutive failed cycles (threshold ${t.failureThreshold}); cause: ${m.flipCause}`);
}

// ---------------------------------------------------------------------------
// measurement files and the table

/** Collects one test file's measurements and rewrites `.tmp/reliability/<name>.json` after each. */
export class Results<T = Measurement> {
  readonly rows: T[] = [];
  constructor(private readonly name: string) {}
  add(row: T): T {
    this.rows.push(row);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${this.name}.json`), `${JSON.stringify(this.rows, null, 2)}\n`);
    return row;
  }
}

/** A measured event that is not a fault window (shutdown, soak, hostile HTTP): what happened and how long it took. */
export interface EventRow {
  readonly group: string;
  readonly event: string;
  readonly outcome: string;
  readonly ms: number | null;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

function readRows(dir: string): unknown[] {
  const rows: unknown[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    if (Array.isArray(data)) rows.push(...data.filter((r) => typeof r === 'object' && r !== null));
  }
  return rows;
}

/** The markdown tables of every measurement found in RESULTS_DIR: fault windows, then events. */
export function renderTable(dir = RESULTS_DIR): string {
  const all = readRows(dir);
  const faults = all.filter((r): r is Measurement => 'fault' in (r as object) && 'detectMs' in (r as object));
  const events = all.filter((r): r is EventRow => 'event' in (r as object) && 'outcome' in (r as object));
  const head = '| group | fault | probe reported | detect (fault on → /readyz 503) | failed cycles at flip | recover (fault off → /readyz 200) | longest cycle / check (timeout) | /livez non-200 | overlapping cycles |\n|---|---|---|---|---|---|---|---|---|';
  const lines = faults.map((r) => {
    const flip = r.failuresAtFlip === null ? 'no flip' : r.failuresAtFlip === 0 ? `0 (${r.flipCause?.split(',')[0] ?? 'stale'})` : String(r.failuresAtFlip);
    const notes = r.notes ? ` (${r.notes})` : '';
    return `| ${r.group} | ${r.fault}${notes} | ${r.reasons.join(', ') || '—'} | ${ms(r.detectMs)} | ${flip} | ${ms(r.recoverMs)} | ${ms(r.maxCycleMs)} / ${ms(r.maxCheckMs)} (${ms(r.timing.timeoutMs)}) | ${r.livezNon200}/${r.livezSamples} | ${r.overlaps} |`;
  });
  const eventHead = '| group | event | what the probe did | time |\n|---|---|---|---|';
  const eventLines = events.map((e) => `| ${e.group} | ${e.event} | ${e.outcome} | ${ms(e.ms)} |`);
  return [head, ...lines, '', eventHead, ...eventLines].join('\n');
}

const isEntry = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry && process.argv[2] === 'table') process.stdout.write(`${renderTable()}\n`);
