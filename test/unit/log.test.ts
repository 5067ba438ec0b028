import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REDACTED, createLogger, sanitise, scrubText, type Logger } from '../../src/log.js';
import type { LogLevel } from '../../src/types.js';

const NOW = new Date('2026-01-01T12:00:00.000Z');
// Shaped like the real things; not real credentials.
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJhdWQiOlsic3RzLmFtYXpvbmF3cy5jb20iXSwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50Om5zOnNhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = `IQoJb3JpZ2luX2VjE${'A1b2C3d4E5f6G7h8'.repeat(20)}`;

function capture(level: LogLevel = 'debug'): { log: Logger; lines: string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const log = createLogger(level, (l) => lines.push(l), () => NOW);
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger output', () => {
  it('writes one JSON object per line with time, level, msg and the fields', () => {
    const { log, lines, records } = capture();
    log.info('cycle finished', { ok: true, durationMs: 12 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.equal(lines[0]!.indexOf('\n'), lines[0]!.length - 1, 'exactly one newline, at the end');
    assert.deepEqual(records()[0], { time: NOW.toISOString(), level: 'info', msg: 'cycle finished', ok: true, durationMs: 12 });
    assert.deepEqual(Object.keys(records()[0]!).slice(0, 3), ['time', 'level', 'msg']);
  });

  it('keeps a newline inside a message inside its JSON line', () => {
    const { log, lines } = capture();
    log.warn('two\nlines');
    assert.equal(lines[0]!.split('\n').length, 2);
    assert.equal(JSON.parse(lines[0]!).msg, 'two\nlines');
  });

  const levels: ReadonlyArray<[LogLevel, LogLevel[]]> = [
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ];
  for (const [threshold, expected] of levels) {
    it(`at level ${threshold} writes only ${expected.join(', ')}`, () => {
      const { log, records } = capture(threshold);
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      assert.deepEqual(records().map((r) => r.level), expected);
    });
  }

  it('child loggers carry bound fields; call fields win; the parent is unchanged', () => {
    const { log, records } = capture();
    const child = log.child({ component: 'scheduler', attempt: 1 }).child({ check: 'sts' });
    child.info('retry', { attempt: 2 });
    log.info('parent');
    const [c, p] = records();
    assert.deepEqual(c, { time: NOW.toISOString(), level: 'info', msg: 'retry', component: 'scheduler', check: 'sts', attempt: 2 });
    assert.deepEqual(p, { time: NOW.toISOString(), level: 'info', msg: 'parent' });
  });

  it('does not let fields overwrite time, level or msg', () => {
    const { log, records } = capture();
    log.info('real', { msg: 'fake', level: 'error', time: 'then' });
    assert.deepEqual(records()[0], { time: NOW.toISOString(), level: 'info', msg: 'real', field_msg: 'fake', field_level: 'error', field_time: 'then' });
  });

  it('serialises Error values as {name, message, code} without a stack at info', () => {
    const { log, records } = capture('info');
    const err = Object.assign(new TypeError('bad thing'), { code: 'ENOENT' });
    log.error('failed', { err });
    assert.deepEqual(records()[0]!.err, { name: 'TypeError', message: 'bad thing', code: 'ENOENT' });
  });

  it('includes the stack and the cause chain at debug', () => {
    const { log, records } = capture('debug');
    log.debug('failed', { err: new Error('outer', { cause: new RangeError('inner') }) });
    const err = records()[0]!.err as Record<string, unknown>;
    assert.match(String(err.stack), /^Error: outer\n\s+at /);
    assert.equal((err.cause as Record<string, unknown>).message, 'inner');
  });

  it('survives values JSON cannot encode: cycles, bigint, functions, NaN, invalid dates', () => {
    const { log, records } = capture();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.info('odd', { cyclic, big: 10n, fn: () => 1, nan: Number.NaN, when: new Date(Number.NaN), ok: new Date(0) });
    assert.deepEqual(records()[0], { time: NOW.toISOString(), level: 'info', msg: 'odd', cyclic: { a: 1, self: '[circular]' }, big: '10', nan: 'NaN', when: 'Invalid Date', ok: '1970-01-01T00:00:00.000Z' });
  });

  it('never throws when the sink throws (EPIPE on stdout)', () => {
    const log = createLogger('info', () => {
      throw new Error('EPIPE');
    });
    assert.doesNotThrow(() => log.error('x'));
  });

  it('writes to process.stdout by default', () => {
    const script = `import { createLogger } from ${JSON.stringify(fileURLToPath(new URL('../../src/log.js', import.meta.url)))};
createLogger('info').info('to stdout', { n: 1 });`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(out.status, 0, out.stderr);
    const rec = JSON.parse(out.stdout);
    assert.equal(rec.msg, 'to stdout');
    assert.equal(rec.n, 1);
    assert.equal(out.stdout.split('\n').length, 2);
  });
});

describe('redaction safety net', () => {
  const secretKeys = ['token', 'webIdentityToken', 'sessionToken', 'secretAccessKey', 'SecretAccessKey', 'password', 'credentials', 'Authorization', 'x-aws-session', 'TOKENFILE_CONTENTS', 'tokenAT'];
  for (const key of secretKeys) {
    it(`redacts the value under "${key}"`, () => {
      const { log, lines, records } = capture();
      log.info('m', { [key]: 'hunter2-value', nested: { deeper: [{ [key]: { any: 'hunter2-object' } }] } });
      assert.equal(records()[0]![key], REDACTED);
      assert.doesNotMatch(lines[0]!, /hunter2/);
    });
  }

  const safeKeys: ReadonlyArray<[string, unknown]> = [
    ['tokenFile', '/var/run/secrets/eks.amazonaws.com/serviceaccount/token'],
    ['tokenExpiresAt', '2026-01-02T00:00:00.000Z'],
    ['credentialsExpiry', 1_767_312_000],
    ['roleSessionName', 'irsa-probe-pod-1'],
    ['tokenChangedAt', '2026-01-01T00:00:00.000Z'],
    ['credentialsExpiresInSeconds', 3600],
    ['sessionTokenFile', '/tmp/file'],
  ];
  for (const [key, v] of safeKeys) {
    it(`keeps the well-known safe key "${key}"`, () => {
      const { log, records } = capture();
      log.info('m', { [key]: v });
      assert.equal(records()[0]![key], v);
    });
  }

  const leaks: ReadonlyArray<[string, string]> = [
    ['a JWT', JWT],
    ['an AWS secret access key', SECRET_KEY],
    ['a session token', SESSION_TOKEN],
  ];
  for (const [what, secret] of leaks) {
    it(`masks ${what} in the message, in fields under innocent keys, and in error messages`, () => {
      const { log, lines } = capture('debug');
      log.info(`read ${secret} from somewhere`, { detail: `value=${secret};`, list: [secret], err: new Error(`rejected ${secret}`) });
      assert.equal(lines.length, 1);
      assert.ok(!lines[0]!.includes(secret), lines[0]);
      assert.ok(!lines[0]!.includes(secret.slice(0, 30)), 'no prefix of it either');
    });
  }

  it('never lets a JWT-shaped string through, under any key, in any position', () => {
    const b64url = (min: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},80}$`));
    const jwt = fc.tuple(b64url(10), b64url(10), b64url(0)).map(([h, p, sig]) => `eyJ${h}.${p}.${sig}`);
    fc.assert(
      fc.property(jwt, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.string({ maxLength: 12 }), (token, before, afterText, key) => {
        const { log, lines } = capture();
        const text = `${before} ${token} ${afterText}`;
        log.info(text, { [key || 'k']: text, nested: [{ v: text }] });
        // The scrubbed form must not contain the token's payload segment.
        const payload = token.split('.')[1]!;
        assert.ok(!lines[0]!.includes(`.${payload}.`), lines[0]);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves ordinary text alone: ARNs, hex thumbprints, paths, policy JSON', () => {
    const text = [
      'arn:aws:iam::111122223333:role/my-app-role-with-a-long-name-1234567890',
      '9e99a48a9960b14926bb7f3b02e22da2b0ab7280',
      '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      '{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}}',
    ].join(' ');
    assert.equal(scrubText(text), text);
  });

  it('still masks a JWT stored under a safe key', () => {
    const { log, lines } = capture();
    log.info('m', { tokenFile: JWT });
    assert.ok(!lines[0]!.includes(JWT));
  });

  it('sanitise returns a JSON-safe copy and does not mutate its input', () => {
    const input = { token: 'x', keep: 'y' };
    assert.deepEqual(sanitise(input), { token: REDACTED, keep: 'y' });
    assert.deepEqual(input, { token: 'x', keep: 'y' });
  });
});
