/**
 * Hostile response bodies, end to end: a loopback listener stands in for STS
 * (all of it, or only the SDK default chain's own AssumeRoleWithWebIdentity)
 * or for S3's GetObject, and answers with a huge declared Content-Length
 * (500 MB, then sends it) or an endless chunked body. `check` fails the check
 * with reason network and a message naming the limit and the variable to
 * check, long before the check's timeout, its memory high-water mark stays
 * far below the sidecar's limit, and the listener gets to send no more than
 * the cap plus what the loopback socket buffers hold. `serve` stays live
 * (/livez 200 fast) while every cycle meets the endless body, its peak RSS
 * stays bounded, and it exits promptly on SIGTERM. Default timeout (5 s);
 * only the interval is shortened.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { memory } from '../../bench/proc.js';
import type { World } from '../../sandbox/world.js';
import { MAX_RESPONSE_BYTES } from '../../src/capped-handler.js';
import type { Report } from '../../src/types.js';
import { cleanEnv, MAIN, ServeProcess } from '../helpers/process.js';
import { worldPerSuite } from '../helpers/world.js';
import { FAST, pollFor, probeArgs, sleep } from './faults-harness.js';

/** The probe's default per-check timeout: a capped body fails well before it. */
const TIMEOUT_MS = FAST.timeoutMs;
/** The sidecar's memory limit is 160 MiB (k8s/); a healthy `check` peaks far below. */
const PEAK_RSS_BYTES = 150 * 1024 * 1024;
/** What the listener may send before the probe drops the connection: the cap, the kernel's loopback buffers, and Node's. */
const SENT_BOUND = MAX_RESPONSE_BYTES + socketBufferMax('tcp_rmem') + socketBufferMax('tcp_wmem') + 1024 * 1024;
/** /livez reads a heartbeat; it must answer at once whatever the cycle meets. */
const LIVEZ_MS = 1_000;
const EXIT_WITHIN_MS = 2_000;
const HUGE = 500_000_000;

function socketBufferMax(name: string): number {
  return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
}

type Answer = 'huge-length' | 'endless-chunked' | 'pass';
type Decide = (req: IncomingMessage, body: string) => Answer;

/** A listener that answers hostile bodies where `decide` says so, and otherwise forwards to `upstream` (or plays a minimal S3). */
class HostileListener {
  /** Bytes written to each hostile answer, by answer. */
  readonly sent: number[] = [];
  private constructor(private readonly server: Server) {}

  static async start(decide: Decide, upstream?: string): Promise<HostileListener> {
    const server = createServer();
    const listener = new HostileListener(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.once('end', () => {
        const body = Buffer.concat(chunks);
        const answer = decide(req, body.toString('utf8'));
        if (answer !== 'pass') listener.pump(res, answer);
        else if (upstream !== undefined) forward(req, body, res, upstream);
        else playS3(req, res);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return listener;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get most(): number {
    return Math.max(0, ...this.sent);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Writes as fast as the client reads (never buffering more than a chunk here), until done or the client goes. */
  private pump(res: ServerResponse, answer: Exclude<Answer, 'pass'>): void {
    const index = this.sent.push(0) - 1;
    const total = answer === 'huge-length' ? HUGE : Infinity;
    res.writeHead(200, { 'Content-Type': 'text/xml', ...(answer === 'huge-length' ? { 'Content-Length': String(HUGE) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    chunk.write('<Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    const write = (): void => {
      while (!res.destroyed && this.sent[index]! < total) {
        const n = Math.min(chunk.length, total - this.sent[index]!);
        this.sent[index]! += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', write);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    write();
  }
}

function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, upstream: string): void {
  const to = new URL(upstream);
  const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.once('error', () => res.destroy());
  out.end(body);
}

/** PutObject and DeleteObject succeed without a body; anything else is not found. */
function playS3(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'PUT') res.writeHead(200, { ETag: '"0"' }).end();
  else if (req.method === 'DELETE') res.writeHead(204).end();
  else res.writeHead(404).end();
}

interface Watched {
  readonly code: number | null;
  readonly report: Report;
  readonly stderr: string;
  /** The highest VmHWM read while the process ran (sampled every 10 ms). */
  readonly peakBytes: number;
}

/** `check --json`, with the child's memory high-water mark sampled until it exits. */
async function checkWatched(env: Record<string, string>): Promise<Watched> {
  const child = spawn(process.execPath, [MAIN, 'check', '--json'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'close');
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let peakBytes = 0;
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    try {
      peakBytes = Math.max(peakBytes, memory(child.pid!).hwmBytes);
    } catch {
      // exited between two samples
    }
    await sleep(10);
  }
  clearTimeout(kill);
  const [code] = (await exited) as [number | null];
  let report: Report;
  try {
    report = JSON.parse(stdout) as Report;
  } catch {
    throw new Error(`check --json printed no report (exit ${code}): ${stdout.slice(0, 500)} ${stderr.slice(-800)}`);
  }
  return { code, report, stderr, peakBytes };
}

const isChainCall = (body: string): boolean => /Action=AssumeRoleWithWebIdentity/.test(body) && /RoleSessionName=aws-sdk-js-session/.test(body);

interface Case {
  readonly name: string;
  readonly check: 'sts' | 'chain' | 's3';
  /** The listener's answer for the request, and the environment that points the probe at it. */
  readonly decide: (answer: Answer) => Decide;
  readonly upstream?: (w: World) => string;
  readonly env: (w: World, url: string) => Record<string, string>;
}

const CASES: readonly Case[] = [
  {
    name: 'STS',
    check: 'sts',
    decide: (answer) => () => answer,
    env: (w, url) => ({ ...w.env, AWS_ENDPOINT_URL_STS: url, IRSA_PROBE_S3_BUCKET: '' }),
  },
  {
    name: "the SDK default chain's AssumeRoleWithWebIdentity",
    check: 'chain',
    decide: (answer) => (_req, body) => (isChainCall(body) ? answer : 'pass'),
    upstream: (w) => w.stsUrl,
    env: (w, url) => ({ ...w.env, AWS_ENDPOINT_URL_STS: url, IRSA_PROBE_S3_BUCKET: '' }),
  },
  {
    name: "S3's GetObject",
    check: 's3',
    decide: (answer) => (req) => (req.method === 'GET' ? answer : 'pass'),
    env: (w, url) => ({ ...w.env, AWS_ENDPOINT_URL_S3: url }),
  },
];

const ANSWERS: readonly Exclude<Answer, 'pass'>[] = ['huge-length', 'endless-chunked'];

describe('hostile response bodies', () => {
  let world: World;
  worldPerSuite((w) => (world = w));

  for (const c of CASES) {
    for (const answer of ANSWERS) {
      test(`check: ${c.name} answering a ${answer} body fails ${c.check} with reason network, fast, in bounded memory`, async (t) => {
        const listener = await HostileListener.start(c.decide(answer), c.upstream?.(world));
        try {
          const r = await checkWatched(c.env(world, listener.url));
          assert.equal(r.code, 1, `exit code ${r.code}; stderr: ${r.stderr.slice(-500)}`);
          const failed = r.report.checks.find((k) => k.status === 'fail');
          assert.equal(failed?.name, c.check, `the failing check: ${JSON.stringify(failed)}`);
          assert.equal(failed.reason, 'network', failed.message);
          const finding = failed.findings.find((f) => f.reason === 'network');
          assert.match(`${failed.message} ${finding?.cause}`, /larger than 1 MiB/);
          assert.match(finding?.fix ?? '', new RegExp(`AWS_ENDPOINT_URL_${c.check === 's3' ? 'S3' : 'STS'}`));
          assert.ok(failed.durationMs < TIMEOUT_MS, `the ${c.check} check took ${failed.durationMs} ms: it waited for the timeout instead of dropping the body`);
          assert.ok(listener.sent.length >= 1, 'the listener sent no hostile answer');
          assert.ok(listener.most <= SENT_BOUND, `the probe read on: the listener sent ${listener.most} bytes (bound ${SENT_BOUND})`);
          assert.ok(r.peakBytes > 0, 'no memory sample was read');
          assert.ok(r.peakBytes < PEAK_RSS_BYTES, `peak RSS ${(r.peakBytes / 2 ** 20).toFixed(1)} MiB`);
          t.diagnostic(`${c.name}, ${answer}: ${c.check} failed in ${failed.durationMs} ms; the listener sent ${listener.most} bytes; peak RSS ${(r.peakBytes / 2 ** 20).toFixed(1)} MiB`);
        } finally {
          await listener.close();
        }
      });
    }
  }

  test('serve: STS answering an endless chunked body every cycle; /livez stays 200 and fast, memory stays bounded, SIGTERM exits promptly', async (t) => {
    const listener = await HostileListener.start(() => 'endless-chunked');
    const serve = await ServeProcess.start({ ...world.env, AWS_ENDPOINT_URL_STS: listener.url, IRSA_PROBE_S3_BUCKET: '' }, probeArgs(FAST));
    try {
      let slowest = 0;
      const reasons = new Set<string>();
      // Four cycles meet the endless body (the first ones back off from 1 s); /livez and the reasons all along.
      await pollFor('four cycles to meet the endless body', async () => {
        const started = Date.now();
        const livez = await serve.get('/livez');
        slowest = Math.max(slowest, Date.now() - started);
        assert.equal(livez.status, 200, livez.body);
        const report = JSON.parse((await serve.get('/status')).body).lastReport as Report | null;
        for (const k of report?.checks ?? []) if (k.reason !== undefined) reasons.add(`${k.name}:${k.reason}`);
        return listener.sent.length >= 4 ? true : undefined;
      }, 60_000, 100);
      assert.ok(slowest < LIVEZ_MS, `/livez took ${slowest} ms`);
      const peak = memory(serve.child.pid!).hwmBytes;
      assert.ok(peak < PEAK_RSS_BYTES, `peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB`);
      assert.ok(listener.most <= SENT_BOUND, `the probe read on: the listener sent ${listener.most} bytes (bound ${SENT_BOUND})`);
      assert.ok(listener.sent.length >= 4, `after 60 s only ${listener.sent.length} cycles met the body`);
      assert.deepEqual([...reasons], ['sts:network']);
      const stopped = await serve.stop();
      assert.equal(stopped.code, 0, serve.stderr.slice(-500));
      assert.ok(stopped.ms <= EXIT_WITHIN_MS, `took ${stopped.ms} ms to exit after SIGTERM`);
      t.diagnostic(`${listener.sent.length} hostile answers; slowest /livez ${slowest} ms; peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB; exit ${stopped.ms} ms after SIGTERM`);
    } finally {
      await serve.stop();
      await listener.close();
    }
  });
});
