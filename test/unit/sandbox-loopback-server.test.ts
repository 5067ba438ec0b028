import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { closeServer, listen } from '../../sandbox/http-util.js';
import { LoopbackServer } from '../../sandbox/loopback-server.js';

class Echo extends LoopbackServer {
  constructor() {
    super(createServer((_req, res) => res.end('ok')));
  }
  static start(): Promise<Echo> {
    return new Echo().listen();
  }
}

test('clearing a refuse fault whose port was taken meanwhile fails naming the fault and the port; clearing it again once the port is free listens again', async () => {
  const echo = await Echo.start();
  const port = Number(new URL(echo.url).port);
  const squatter = createServer();
  try {
    await echo.setRefusing(true, 'stsRefuse');
    assert.equal(echo.listening, false);
    await listen(squatter, port);
    await assert.rejects(echo.setRefusing(false, 'stsRefuse'), (error: Error) => error.message.includes('stsRefuse') && error.message.includes(`127.0.0.1:${port}`) && error.message.includes('EADDRINUSE'));
    assert.equal(echo.listening, false);
    await closeServer(squatter);
    await echo.setRefusing(false, 'stsRefuse');
    assert.equal(echo.listening, true);
    assert.equal(await (await fetch(echo.url)).text(), 'ok');
  } finally {
    await closeServer(squatter);
    await echo.close();
  }
});
