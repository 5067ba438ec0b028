/**
 * A FIFO at the token path must never block the event loop (defect 4). The
 * SDK's web identity provider reads the token with readFileSync; a FIFO there
 * would freeze the whole process (no /livez, SIGTERM ignored) until a writer
 * came. Each case runs the production default chain (createAwsClients) in a child
 * process, with a timer ticking, so a freeze shows as a child that stops
 * ticking and never exits, instead of freezing the test runner.
 *
 * - a FIFO in place of the token file: the chain call fails at once, naming it;
 * - a regular file swapped for a FIFO in the instant before the SDK reads it
 *   (readFileSync wrapped to do the swap): the SDK still reads the file that
 *   was checked, and sends its token.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, runNode } from '../helpers/process.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2ln';
/** A blocked child never answers; a healthy one answers in well under a second. */
const CHILD_DEADLINE_MS = 15_000;

/** The child: an STS stub that records the token, the chain call, and a ticking timer. */
const CHILD = `
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { renameSync } from 'node:fs';
const require = createRequire(import.meta.url);
const fs = require('node:fs');
const [tokenPath, fifoPath, swap] = process.argv.slice(2);
if (swap === 'swap') {
  const real = fs.readFileSync;
  fs.readFileSync = function (path, ...rest) {
    const p = String(path);
    if (p === tokenPath || p.startsWith('/proc/self/fd/')) renameSync(fifoPath, tokenPath);
    return real.call(this, path, ...rest);
  };
}
let ticks = 0;
setInterval(() => ticks++, 10).unref();
let sent;
const sts = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    sent = new URLSearchParams(body).get('WebIdentityToken');
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>stub</Message></Error></ErrorResponse>');
  });
});
await new Promise((r) => sts.listen(0, '127.0.0.1', r));
process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:' + sts.address().port;
const { loadConfig } = await import(${JSON.stringify(`${DIST}src/config.js`)});
const { createAwsClients } = await import(${JSON.stringify(`${DIST}src/aws-clients.js`)});
const deps = createAwsClients(loadConfig(['check'], process.env).config);
let outcome;
try {
  await deps.defaultChain(AbortSignal.timeout(3000));
  outcome = { outcome: 'resolved' };
} catch (error) {
  outcome = { outcome: 'rejected', message: String(error && error.message) };
}
await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ ...outcome, ticks, sent }));
sts.close();
process.exit(0);
`;

async function runChild(dir: string, args: string[]): Promise<{ outcome: string; message?: string; ticks: number; sent?: string }> {
  const script = join(dir, 'child.mjs');
  await writeFile(script, CHILD);
  const env = cleanEnv({ AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/payments-api', AWS_WEB_IDENTITY_TOKEN_FILE: args[0]!, AWS_REGION: 'us-west-2', AWS_EC2_METADATA_DISABLED: 'true' });
  const { code, signal, stdout: out, stderr: err } = await runNode([script, ...args], env, CHILD_DEADLINE_MS);
  assert.equal(signal, null, `the child froze and was killed after ${CHILD_DEADLINE_MS} ms (event loop blocked); stderr: ${err.slice(0, 500)}`);
  assert.equal(code, 0, `child exited ${code}: ${err.slice(0, 500)}`);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('a FIFO at the web identity token path', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'irsa-probe-fifo-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('in place of the token file: the default chain fails at once, naming it, and the event loop keeps running', async () => {
    const fifo = join(dir, 'token-fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runChild(dir, [fifo, '', 'none']);
    assert.equal(r.outcome, 'rejected');
    assert.match(r.message ?? '', /is not a regular file/);
    assert.ok(r.ticks > 0, 'the timer never ticked');
  });

  test('swapped in just before the SDK reads: the SDK reads the file that was checked, and sends its token', async () => {
    const token = join(dir, 'token');
    const fifo = join(dir, 'swap-fifo');
    await writeFile(token, TOKEN);
    execFileSync('mkfifo', [fifo]);
    const r = await runChild(dir, [token, fifo, 'swap']);
    assert.equal(r.outcome, 'rejected', 'the STS stub answers AccessDenied');
    assert.ok(statSync(token).isFIFO(), 'the swap did not happen: the SDK read the token some other way');
    assert.equal(r.sent, TOKEN, 'the token sent to STS is the checked file');
    assert.ok(r.ticks > 0, 'the timer never ticked');
  });
});
