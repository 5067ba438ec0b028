/** The Pod Identity agent call sends the token the token check read (file) or AWS_CONTAINER_AUTHORIZATION_TOKEN (inline), as the SDK does. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ASSUMED_ARN, probeFor, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { mintedTokenDir } from './fixtures.js';

describe('Pod Identity authorization token', () => {
  const minted = mintedTokenDir();
  let server: Server;
  let url: string;
  const seen: Array<string | undefined> = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: 'ASIAPODIDENTITY00001', SecretAccessKey: SECRET_ACCESS_KEY, Token: SESSION_TOKEN, Expiration: new Date(Date.now() + 3600_000).toISOString() }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/credentials`;
  });
  after(() => server.close());

  const run = async (env: Record<string, string>) => {
    seen.length = 0;
    const probe = probeFor({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_REGION: 'us-west-2', IRSA_PROBE_POD_NAME: 'api-0', IRSA_PROBE_AUDIENCE: 'sts.amazonaws.com', ...env }, {
      getCallerIdentity: async () => ({ arn: ASSUMED_ARN, account: '111122223333', userId: 'x' }),
      defaultChain: async () => ({ accessKeyId: 'ASIAPODIDENTITY00001', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN }),
    });
    const report = await probe.run(new AbortController().signal);
    return report.checks.find((c) => c.name === 'sts');
  };

  test('from the file: the text the token check read', async () => {
    const sts = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, [minted().token]);
  });

  test('inline: AWS_CONTAINER_AUTHORIZATION_TOKEN, when no file is set', async () => {
    const sts = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value' });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, ['inline-token-value']);
  });

  test('both set: the file wins, as in the SDK', async () => {
    const sts = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value' });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, [minted().token]);
  });
});
