/** The Pod Identity agent call sends the token the token check read (file) or AWS_CONTAINER_AUTHORIZATION_TOKEN (inline), as the SDK does. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { renderText } from '../../src/report.js';
import { ASSUMED_ARN, probeFor, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';
import { mintedTokenDir } from './fixtures.js';

describe('Pod Identity authorization token', () => {
  const minted = mintedTokenDir();
  let server: Server;
  let url: string;
  const seen: Array<string | undefined> = [];
  /** When set, the agent refuses and quotes the Authorization header back, as a careless agent or proxy might. */
  let echo = false;
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      if (echo) {
        res.statusCode = 403;
        res.end(JSON.stringify({ Code: 'AccessDeniedException', Message: `bad token: ${req.headers.authorization ?? ''}` }));
        return;
      }
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
    return { sts: report.checks.find((c) => c.name === 'sts'), report };
  };

  test('from the file: the text the token check read', async () => {
    const { sts } = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, [minted().token]);
  });

  test('inline: AWS_CONTAINER_AUTHORIZATION_TOKEN, when no file is set', async () => {
    const { sts } = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value' });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, ['inline-token-value']);
  });

  test('both set: the file wins, as in the SDK', async () => {
    const { sts } = await run({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value' });
    assert.equal(sts?.status, 'pass', sts?.message);
    assert.deepEqual(seen, [minted().token]);
  });

  for (const [where, env, token] of [
    ['inline', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline-token-value' }, () => 'inline-token-value'],
    ['from the file', { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '' }, () => minted().token],
  ] as const) {
    test(`${where}: an agent error that quotes the token back never carries it into the report`, async () => {
      echo = true;
      try {
        const { sts, report } = await run({ ...env, ...(where === 'from the file' ? { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: minted().dir.path } : {}) });
        assert.equal(sts?.status, 'fail');
        assert.match(sts!.message, /bad token: \[redacted/, 'the agent\'s message is still shown, with the token masked');
        assert.ok(!JSON.stringify(report).includes(token()), 'the token is in the JSON report');
        assert.ok(!renderText(report, { verbose: true }).includes(token()), 'the token is in the text report');
      } finally {
        echo = false;
      }
    });
  }
});
