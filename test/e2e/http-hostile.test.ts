/**
 * The probe's HTTP surface against hostile clients, on a real `serve` process:
 * only GET and HEAD (405 with Allow otherwise), no X-Powered-By, URL and
 * header size limits, malformed requests refused, slowloris clients cut off
 * while others are still answered, the bind address honoured, /status off
 * when asked. The probe runs with no AWS identity: these answers never depend
 * on it. Measurements go to .tmp/reliability/http-hostile.json.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runCli, ServeProcess } from '../helpers/process.js';
import { Results, sleep, type EventRow } from './faults-harness.js';

const results = new Results<EventRow>('http-hostile');
const PATHS = ['/readyz', '/livez', '/metrics', '/status', '/', '/nope'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path.slice(0, 60)}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Writes raw bytes on a new connection; resolves with everything read until the server closes (or the deadline). */
function raw(base: string, bytes: string | Buffer, deadlineMs = 5_000): Promise<{ text: string; closed: boolean }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, deadlineMs);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

const statusOf = (text: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);

describe('HTTP surface against hostile clients', () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await ServeProcess.start({ IRSA_PROBE_INTERVAL: '30s' });
  });
  after(async () => {
    await serve?.stop();
  });

  test('every method but GET and HEAD gets 405 with Allow: GET, HEAD, on every path', async () => {
    for (const path of PATHS) {
      // Every method node's parser knows; unknown ones are refused by the parser itself (400, below).
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'SEARCH']) {
        const a = await send(serve.url, method, path);
        assert.equal(a.status, 405, `${method} ${path}: ${a.status}`);
        assert.equal(a.headers.allow, 'GET, HEAD', `${method} ${path}`);
        assert.equal(a.headers['x-powered-by'], undefined);
      }
    }
  });

  test('HEAD answers like GET with no body', async () => {
    for (const path of PATHS) {
      const [get, head] = [await send(serve.url, 'GET', path), await send(serve.url, 'HEAD', path)];
      assert.equal(head.status, get.status, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
    }
  });

  const refusals: ReadonlyArray<{ what: string; bytes: string; status: readonly number[] }> = [
    { what: 'a URL of 2,049 characters', bytes: `GET /readyz?${'a'.repeat(2_049 - 8)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: [414] },
    { what: 'a URL of 100 KB', bytes: `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: [414, 431] },
    { what: 'a 9 KB header', bytes: `GET /readyz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9 * 1024)}\r\n\r\n`, status: [431] },
    { what: '3,000 headers', bytes: `GET /readyz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`, status: [431] },
    { what: 'a garbage request line', bytes: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n', status: [400] },
    { what: 'an unknown method', bytes: 'BREW /readyz HTTP/1.1\r\nHost: x\r\n\r\n', status: [400, 405] },
    { what: 'a lower-case method', bytes: 'get /readyz HTTP/1.1\r\nHost: x\r\n\r\n', status: [400, 405] },
    { what: 'an unknown HTTP version', bytes: 'GET /readyz HTTP/9.9\r\nHost: x\r\n\r\n', status: [400, 505] },
    { what: 'a control character in a header value', bytes: 'GET /readyz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n', status: [400] },
    { what: 'both Content-Length and Transfer-Encoding (smuggling)', bytes: 'GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: [400] },
    { what: 'two Content-Length headers', bytes: 'GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', status: [400] },
    { what: 'a bare LF line ending', bytes: 'GET /readyz HTTP/1.1\nHost: x\n\n', status: [200, 400, 503] },
    { what: 'a bad percent-encoding', bytes: 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: [400, 404] },
    { what: 'an absolute-form target for another host', bytes: 'GET http://evil.example/readyz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n', status: [200, 400, 404, 503] },
    { what: 'a path-traversal target', bytes: 'GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: [400, 404] },
  ];

  for (const r of refusals) {
    test(`answers ${r.status.join(' or ')} to ${r.what}, without a stack, an X-Powered-By or a 5xx`, async () => {
      const { text } = await raw(serve.url, r.bytes);
      const status = statusOf(text);
      assert.ok(r.status.includes(status), `${r.what}: HTTP ${status}: ${text.slice(0, 200)}`);
      assert.doesNotMatch(text, /x-powered-by/i);
      assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node:internal|\/dist\//, 'a stack trace leaked');
      assert.doesNotMatch(text, /root:x:0:0/);
      // The server still answers afterwards.
      assert.equal((await send(serve.url, 'GET', '/livez')).status, 200);
    });
  }

  test('a header injection attempt in the query string does not inject a header', async () => {
    const { text } = await raw(serve.url, 'GET /readyz?verbose=%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.ok([200, 503].includes(statusOf(text)), text.slice(0, 200));
    assert.doesNotMatch(text.split('\r\n\r\n')[0]!, /X-Injected/i);
  });

  test('slowloris clients that never finish their headers are cut off, while others are answered meanwhile', async () => {
    const sockets: Socket[] = [];
    const closedAt = new Map<Socket, number>();
    const started = Date.now();
    const url = new URL(serve.url);
    for (let i = 0; i < 50; i++) {
      const s = connect({ host: url.hostname, port: Number(url.port) });
      s.on('error', () => undefined);
      s.on('close', () => closedAt.set(s, Date.now()));
      s.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
      sockets.push(s);
    }
    // An idle keep-alive connection after one answered request: closed after the keep-alive timeout.
    const idle = connect({ host: url.hostname, port: Number(url.port) });
    let idleClosedAt = 0;
    let idleRead = '';
    idle.on('data', (c: Buffer) => (idleRead += c.toString('latin1')));
    idle.on('error', () => undefined);
    idle.on('close', () => (idleClosedAt = Date.now()));
    idle.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
    const latencies: number[] = [];
    let trickle = 0;
    while (Date.now() - started < 12_000 && (closedAt.size < sockets.length || idleClosedAt === 0)) {
      trickle += 1;
      for (const s of sockets) if (!s.destroyed) s.write(`X-${trickle}: a\r\n`);
      const t = Date.now();
      const a = await send(serve.url, 'GET', '/livez');
      latencies.push(Date.now() - t);
      assert.equal(a.status, 200);
      await sleep(400);
    }
    for (const s of sockets) s.destroy();
    idle.destroy();
    const cutAfter = Math.max(...[...closedAt.values()].map((t) => t - started));
    results.add({ group: 'http', event: '50 slowloris connections trickling a header every 400 ms', outcome: `${closedAt.size}/50 cut off by the server; /livez answered ${latencies.length} times meanwhile, slowest ${Math.max(...latencies)} ms`, ms: closedAt.size === sockets.length ? cutAfter : null });
    results.add({ group: 'http', event: 'idle keep-alive connection', outcome: idleClosedAt ? 'closed by the server' : `still open after 12 s (read: ${JSON.stringify(idleRead.slice(0, 120))})`, ms: idleClosedAt ? idleClosedAt - started : null });
    assert.equal(closedAt.size, sockets.length, `${sockets.length - closedAt.size} slowloris connections were still open after 12 s`);
    assert.ok(cutAfter <= 10_000, `the last slowloris connection was cut after ${cutAfter} ms`);
    assert.ok(Math.max(...latencies) < 1_000, `/livez took up to ${Math.max(...latencies)} ms during the attack`);
    assert.ok(idleClosedAt > 0 && idleClosedAt - started <= 10_000, 'the idle keep-alive connection was not closed');
  });

  test('200 concurrent connections are all answered', async () => {
    const t = Date.now();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(serve.url, 'GET', i % 2 === 0 ? '/readyz' : '/metrics')));
    results.add({ group: 'http', event: '200 concurrent connections (/readyz and /metrics)', outcome: `${answers.filter((a) => a.status === 200 || a.status === 503).length}/200 answered`, ms: Date.now() - t });
    assert.ok(answers.every((a) => a.status === 503 || a.status === 200), answers.map((a) => a.status).join(','));
  });
});

describe('HTTP settings', () => {
  test('IRSA_PROBE_STATUS=false turns /status off (404) and leaves the other endpoints on', async () => {
    const serve = await ServeProcess.start({ IRSA_PROBE_STATUS: 'false', IRSA_PROBE_INTERVAL: '30s' });
    try {
      assert.equal((await serve.get('/status')).status, 404);
      assert.equal((await serve.get('/livez')).status, 200);
      assert.equal((await serve.get('/metrics')).status, 200);
    } finally {
      await serve.stop();
    }
  });

  const binds: ReadonlyArray<{ host: string; reachable: string; unreachable: string }> = [
    { host: '127.0.0.1', reachable: '127.0.0.1', unreachable: '::1' },
    { host: '::1', reachable: '[::1]', unreachable: '127.0.0.1' },
  ];
  for (const [i, b] of binds.entries()) {
    test(`--host ${b.host} listens there and only there`, async () => {
      // A name of its own, to tell this probe's answer from any other server's.
      const pod = `bind-test-${i}-${process.pid}`;
      const serve = await ServeProcess.start({ IRSA_PROBE_INTERVAL: '30s', IRSA_PROBE_POD_NAME: pod }, ['--host', b.host]);
      try {
        const port = new URL(serve.url).port;
        const here = await send(`http://${b.reachable}:${port}`, 'GET', '/status');
        assert.equal(here.status, 200);
        assert.ok(here.body.includes(pod), here.body.slice(0, 300));
        // The other address family's port space is separate: a test alongside may listen there on the same
        // number. What must hold is that this probe does not answer there.
        const elsewhere = await send(`http://${b.unreachable.includes(':') ? `[${b.unreachable}]` : b.unreachable}:${port}`, 'GET', '/status').catch((error: Error) => error);
        if (elsewhere instanceof Error) assert.match(elsewhere.message, /ECONNREFUSED/);
        else assert.ok(!elsewhere.body.includes(pod), `the probe answered on ${b.unreachable} too`);
      } finally {
        await serve.stop();
      }
    });
  }

  const badHosts: ReadonlyArray<{ host: string; says: RegExp }> = [
    { host: '192.0.2.1', says: /not available|IRSA_PROBE_HOST/ },
    { host: 'not a host!', says: /host/i },
  ];
  for (const h of badHosts) {
    test(`--host ${JSON.stringify(h.host)} exits 2 with a message naming the setting`, async () => {
      const r = await runCli(['serve', '--host', h.host, '--port', '0'], { IRSA_PROBE_INTERVAL: '30s' }, 20_000);
      assert.equal(r.code, 2, `${r.stdout} ${r.stderr}`);
      assert.match(`${r.stdout}${r.stderr}`, h.says);
    });
  }
});
