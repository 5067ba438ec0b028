/** readCapped: a whole HTTP answer up to a limit; past it the answer's socket is destroyed and the call fails with the caller's error. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readCapped } from '../../src/capped-handler.js';
import { agentCredentials } from '../../src/pod-identity.js';

describe('readCapped', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/small') return void res.end('{"Code":"x"}');
      // Endless chunked answer: only the reader's cap ends it.
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const write = () => {
        while (res.write(chunk));
        res.once('drain', write);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      write();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const get = (path: string, limit: number) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = request(`${base}${path}`, { agent: false }, (res) => readCapped(res, limit, () => new Error('too large')).then(resolve, reject));
      req.once('error', reject);
      req.end();
    });

  test('an answer within the limit, whole', async () => {
    assert.equal((await get('/small', 64)).toString(), '{"Code":"x"}');
  });

  test('an endless answer: rejected with the caller\'s error once past the limit', async () => {
    await assert.rejects(get('/endless', 64 * 1024), /too large/);
  });

  test('the Pod Identity agent call: an endless answer fails the call, naming the limit', async () => {
    await assert.rejects(agentCredentials({ uri: `${base}/endless`, token: 't' }, new AbortController().signal), { name: 'PodIdentityAgentError', message: /larger than 65536 bytes/ });
  });
});
