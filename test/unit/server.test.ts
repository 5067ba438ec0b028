import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Health } from '../../src/health.js';
import { ProbeMetrics } from '../../src/metrics.js';
import { ENDPOINTS, MAX_URL_LENGTH, createApp, listen, listenError, type Listening, type ServerDeps } from '../../src/server.js';
import type { Report } from '../../src/types.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const S = 1000;

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection (no agent, nothing left open). */
function request(base: string, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: 15_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const PASS: Report = {
  ok: true,
  startedAt: new Date(T0).toISOString(),
  durationMs: 30,
  checks: [
    { name: 'env', status: 'pass', durationMs: 1, message: 'irsa', findings: [] },
    { name: 'sts', status: 'pass', durationMs: 25, message: 'assumed', findings: [] },
    { name: 's3', status: 'skip', durationMs: 0, message: 'no bucket', findings: [] },
  ],
  facts: { stsEndpoint: 'https://sts.us-west-2.amazonaws.com' },
};
const FAIL: Report = {
  ...PASS,
  ok: false,
  checks: [PASS.checks[0]!, { name: 'sts', status: 'fail', durationMs: 25, reason: 'oidc_provider_missing', message: 'no provider', findings: [] }, PASS.checks[2]!],
};

/** A server over real Health/ProbeMetrics with a settable clock; closed by the caller. */
async function start(extra: Partial<ServerDeps> = {}): Promise<{ l: Listening; health: Health; metrics: ProbeMetrics; clock: { now: number } }> {
  const clock = { now: T0 };
  const health = new Health({ successThreshold: 1, failureThreshold: 2, staleAfterMs: 180 * S, heartbeatTimeoutMs: 180 * S, createdAt: T0 });
  const metrics = new ProbeMetrics({ defaultMetrics: false });
  const app = createApp({ health, metrics, now: () => clock.now, ...extra });
  const l = await listen(app, '127.0.0.1', 0);
  return { l, health, metrics, clock };
}

describe('HTTP endpoints', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  const status = { mechanism: 'irsa', lastReport: PASS, history: [{ at: 'x', ready: true, cause: 'c' }], nested: { n: 1, list: [1, 'two', null] } };
  before(async () => {
    ctx = await start({ status: () => status });
  });
  after(() => ctx.l.close());

  it('/readyz answers 503 with the cause before the first cycle', async () => {
    const r = await request(ctx.l.url, '/readyz');
    assert.equal(r.status, 503);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.body, 'readyz check failed: no successful cycle yet\n');
  });

  it('/readyz answers 200 ok after a success, and lists every check with ?verbose', async () => {
    ctx.health.record(PASS, ctx.clock.now);
    const terse = await request(ctx.l.url, '/readyz');
    assert.deepEqual([terse.status, terse.body], [200, 'ok']);
    const verbose = await request(ctx.l.url, '/readyz?verbose');
    assert.deepEqual([verbose.status, verbose.body], [200, '[+]env ok\n[+]sts ok\n[ ]s3 skipped\nreadyz check passed\n']);
    const off = await request(ctx.l.url, '/readyz?verbose=false');
    assert.equal(off.body, 'ok');
  });

  it('/readyz answers 503 listing the failing check after failureThreshold failures', async () => {
    ctx.health.record(FAIL, ctx.clock.now);
    assert.equal((await request(ctx.l.url, '/readyz')).status, 200, 'hysteresis: one failure keeps it ready');
    ctx.health.record(FAIL, ctx.clock.now);
    const r = await request(ctx.l.url, '/readyz');
    assert.equal(r.status, 503);
    assert.match(r.body, /^\[-\]sts failed: oidc_provider_missing\nreadyz check failed: 2 consecutive failed cycles/);
    ctx.health.record(PASS, ctx.clock.now);
    assert.equal((await request(ctx.l.url, '/readyz')).status, 200);
  });

  it('/readyz turns 503 when no cycle has finished for staleAfter, judged by the injected clock', async () => {
    ctx.clock.now = T0 + 200 * S;
    try {
      const r = await request(ctx.l.url, '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'readyz check failed: last finished cycle 200s ago, stale after 180s\n');
    } finally {
      ctx.clock.now = T0;
    }
  });

  it('/livez answers 200 ok while the heartbeat is fresh and 503 with the cause after the timeout', async () => {
    ctx.health.beat(T0);
    assert.deepEqual(await request(ctx.l.url, '/livez').then((r) => [r.status, r.body]), [200, 'ok']);
    ctx.clock.now = T0 + 181 * S;
    try {
      const r = await request(ctx.l.url, '/livez');
      assert.deepEqual([r.status, r.body], [503, 'livez check failed: last scheduler heartbeat 181s ago, timeout 180s\n']);
    } finally {
      ctx.clock.now = T0;
    }
  });

  it('/metrics serves the registry in the Prometheus text format with its content type', async () => {
    ctx.metrics.observeReport(FAIL);
    const r = await request(ctx.l.url, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], ctx.metrics.contentType);
    assert.match(r.body, /^# TYPE irsa_probe_success gauge$/m);
    assert.match(r.body, /^irsa_check_failures_total\{check="sts",reason="oidc_provider_missing"\} 1$/m);
  });

  it('/metrics reports irsa_probe_ready as /readyz judges it at scrape time (staleness included)', async () => {
    ctx.health.record(PASS, T0);
    ctx.metrics.setReady(true);
    assert.match((await request(ctx.l.url, '/metrics')).body, /^irsa_probe_ready 1$/m);
    ctx.clock.now = T0 + 200 * S;
    try {
      assert.equal((await request(ctx.l.url, '/readyz')).status, 503);
      assert.match((await request(ctx.l.url, '/metrics')).body, /^irsa_probe_ready 0$/m);
    } finally {
      ctx.clock.now = T0;
    }
  });

  it('/status serves exactly what deps.status() returns, as JSON', async () => {
    const r = await request(ctx.l.url, '/status');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), status);
  });

  it('/ lists the endpoints', async () => {
    const r = await request(ctx.l.url, '/');
    assert.equal(r.status, 200);
    for (const path of Object.keys(ENDPOINTS)) assert.match(r.body, new RegExp(`^${path} `, 'm'));
  });

  it('unknown paths answer 404 in text', async () => {
    const r = await request(ctx.l.url, '/healthz');
    assert.deepEqual([r.status, r.body, r.headers['content-type']], [404, 'not found: /healthz\n', 'text/plain; charset=utf-8']);
  });

  for (const path of ['/readyz', '/livez', '/metrics', '/status', '/']) {
    it(`HEAD ${path} answers like GET without a body`, async () => {
      const [get, head] = await Promise.all([request(ctx.l.url, path), request(ctx.l.url, path, { method: 'HEAD' })]);
      assert.equal(head.status, get.status);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-type'], get.headers['content-type']);
    });
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`${method} answers 405 with Allow: GET, HEAD`, async () => {
      for (const path of ['/readyz', '/metrics']) {
        const r = await request(ctx.l.url, path, { method });
        assert.equal(r.status, 405, `${method} ${path}`);
        assert.equal(r.headers.allow, 'GET, HEAD');
        assert.equal(r.body, `method ${method} not allowed: use GET or HEAD\n`);
      }
    });
  }

  it(`answers 414 for a URL longer than ${MAX_URL_LENGTH} characters, and serves one at the limit`, async () => {
    const base = '/readyz?pad=';
    const atLimit = await request(ctx.l.url, base + 'a'.repeat(MAX_URL_LENGTH - base.length));
    assert.notEqual(atLimit.status, 414);
    const over = await request(ctx.l.url, base + 'a'.repeat(MAX_URL_LENGTH - base.length + 1));
    assert.deepEqual([over.status, over.body], [414, 'uri too long\n']);
  });

  it('answers 431 for request headers over 8 KiB', async () => {
    const r = await request(ctx.l.url, '/readyz', { headers: { 'x-big': 'b'.repeat(9 * 1024) } });
    assert.equal(r.status, 431);
  });

  it('sets no X-Powered-By, Cache-Control: no-store and nosniff on every kind of response', async () => {
    const replies = await Promise.all([
      request(ctx.l.url, '/readyz'),
      request(ctx.l.url, '/metrics'),
      request(ctx.l.url, '/status'),
      request(ctx.l.url, '/nope'),
      request(ctx.l.url, '/readyz', { method: 'POST' }),
      request(ctx.l.url, `/${'x'.repeat(3000)}`),
    ]);
    for (const r of replies) {
      assert.equal(r.headers['x-powered-by'], undefined, String(r.status));
      assert.equal(r.headers['cache-control'], 'no-store', String(r.status));
      assert.equal(r.headers['x-content-type-options'], 'nosniff', String(r.status));
      assert.equal(r.headers.etag, undefined, String(r.status));
    }
  });
});

describe('hot paths', () => {
  it('listen() answers /readyz and /livez exactly like the express routes do', async () => {
    const { l, health } = await start();
    // The same app on a plain server: every request walks express.
    const plain = http.createServer(createApp({ health, metrics: new ProbeMetrics({ defaultMetrics: false }), now: () => T0 }));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainUrl = `http://127.0.0.1:${(plain.address() as net.AddressInfo).port}`;
    const strip = (r: Reply) => ({ status: r.status, body: r.body, headers: { ...r.headers, date: undefined, connection: undefined, 'keep-alive': undefined } });
    try {
      for (const state of [undefined, PASS, FAIL, FAIL]) {
        if (state) health.record(state, T0);
        for (const [path, method] of [['/readyz', 'GET'], ['/readyz?verbose', 'GET'], ['/readyz?verbose=0', 'GET'], ['/livez', 'GET'], ['/readyz', 'HEAD'], ['/readyz/', 'GET']] as const) {
          const [hot, routed] = await Promise.all([request(l.url, path, { method }), request(plainUrl, path, { method })]);
          assert.deepEqual(strip(hot), strip(routed), `${method} ${path}`);
        }
      }
    } finally {
      await l.close();
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});

describe('HTTP failure handling', () => {
  it('answers 404 "status endpoint disabled" when no status function is given', async () => {
    const { l } = await start();
    try {
      const r = await request(l.url, '/status');
      assert.deepEqual([r.status, r.body], [404, 'status endpoint disabled\n']);
    } finally {
      await l.close();
    }
  });

  const throwers: ReadonlyArray<[string, string, (deps: { health: Health; metrics: ProbeMetrics }) => Partial<ServerDeps>]> = [
    ['a throwing status function', '/status', () => ({ status: () => { throw new Error('boom at /secret/path'); } })],
    ['a rejecting metrics render', '/metrics', ({ metrics }) => {
      metrics.render = () => Promise.reject(new Error('boom at /secret/path'));
      return {};
    }],
    ['a throwing readiness', '/readyz', ({ health }) => {
      health.readiness = () => { throw new Error('boom at /secret/path'); };
      return {};
    }],
  ];
  /** listen() (hot paths ahead of express) and a plain node:http server over the same app. */
  const servers: ReadonlyArray<[string, (app: ReturnType<typeof createApp>) => Promise<{ url: string; close: () => Promise<void> }>]> = [
    ['listen()', (app) => listen(app, '127.0.0.1', 0)],
    ['a plain server', async (app) => {
      const srv = http.createServer(app);
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
      return { url, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
    }],
  ];
  for (const [what, path, setup] of throwers) {
    for (const [serverName, serve] of servers) {
      it(`answers 500 "internal error" without a stack or message for ${what}, behind ${serverName}`, async () => {
        const health = new Health({ successThreshold: 1, failureThreshold: 1, staleAfterMs: S, heartbeatTimeoutMs: S });
        const metrics = new ProbeMetrics({ defaultMetrics: false });
        const l = await serve(createApp({ health, metrics, ...setup({ health, metrics }) }));
        try {
          const r = await request(l.url, path);
          assert.deepEqual([r.status, r.body], [500, 'internal error\n']);
          assert.equal(r.headers['cache-control'], 'no-store');
        } finally {
          await l.close();
        }
      });
    }
  }

  it('serves every endpoint without waiting on AWS: handlers only read state', async () => {
    // Health and metrics are fresh: nothing has run, and answers come straight from them.
    const { l } = await start({ status: () => ({}) });
    try {
      const started = Date.now();
      const replies = await Promise.all(['/readyz', '/livez', '/metrics', '/status'].map((p) => request(l.url, p)));
      assert.deepEqual(replies.map((r) => r.status), [503, 200, 200, 200]);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await l.close();
    }
  });
});

describe('listen', () => {
  it('binds port 0 to a free port and reports a connectable url', async () => {
    const { l } = await start();
    try {
      assert.ok(l.port > 0);
      assert.equal(l.url, `http://127.0.0.1:${l.port}`);
      assert.equal((await request(l.url, '/livez')).status, 200);
    } finally {
      await l.close();
    }
  });

  it('rejects with a clear error naming the port and IRSA_PROBE_PORT when the port is in use', async () => {
    const { l } = await start();
    try {
      const app = createApp({ health: new Health({ successThreshold: 1, failureThreshold: 1, staleAfterMs: S, heartbeatTimeoutMs: S }), metrics: new ProbeMetrics({ defaultMetrics: false }) });
      await assert.rejects(listen(app, '127.0.0.1', l.port), (e: Error) => {
        assert.equal(e.message, `port ${l.port} on 127.0.0.1 is in use: set IRSA_PROBE_PORT`);
        assert.equal((e.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
        return true;
      });
    } finally {
      await l.close();
    }
  });

  const mapped: ReadonlyArray<[string, string]> = [
    ['EADDRINUSE', 'port 9876 on 0.0.0.0 is in use: set IRSA_PROBE_PORT'],
    ['EACCES', 'port 9876 on 0.0.0.0 needs privileges: set IRSA_PROBE_PORT to a port above 1023'],
    ['EADDRNOTAVAIL', 'address 0.0.0.0 is not available on this host: set IRSA_PROBE_HOST'],
    ['EINVAL', 'cannot listen on port 9876 on 0.0.0.0: EINVAL'],
  ];
  for (const [code, message] of mapped) {
    it(`maps ${code} to "${message}"`, () => {
      const cause = Object.assign(new Error(code), { code });
      const e = listenError(cause, '0.0.0.0', 9876);
      assert.equal(e.message, message);
      assert.equal(e.cause, cause);
    });
  }

  it('close() resolves within 1 s even with an idle keep-alive connection and a half-sent request', async () => {
    const { l } = await start();
    const idle = new http.Agent({ keepAlive: true });
    const stalled = net.connect(l.port, '127.0.0.1');
    const connected = new Promise<void>((resolve, reject) => {
      stalled.once('connect', () => resolve());
      stalled.once('error', reject);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        http.get(`${l.url}/livez`, { agent: idle }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
      await connected;
      stalled.write('GET /readyz HTTP/1.1\r\nHost: x\r\n'); // headers never finished
      stalled.on('error', () => {});
      const started = Date.now();
      await l.close();
      assert.ok(Date.now() - started < 1_500, `close took ${Date.now() - started} ms`);
      assert.equal(l.server.listening, false);
    } finally {
      idle.destroy();
      stalled.destroy();
    }
  });

  it('close() twice is harmless', async () => {
    const { l } = await start();
    await l.close();
    await l.close();
  });
});
