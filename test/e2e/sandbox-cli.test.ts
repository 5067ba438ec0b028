import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const MAIN = fileURLToPath(new URL('../../sandbox/main.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
}

function start(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitOf(p: Proc, signal?: NodeJS.Signals): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const exited = once(p.child, 'close');
  if (signal) p.child.kill(signal);
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  const [code] = (await exited) as [number | null];
  clearTimeout(killer);
  return code;
}


describe('npm run sandbox (sandbox/main.js)', () => {
  let dir: string;
  const running: Proc[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
  });
  after(async () => {
    for (const p of running) await exitOf(p, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const forms: Array<[string, (envFile: string) => string[]]> = [
    ['--env-out PATH', (f) => ['--scenario', 'wrong-subject', '--env-out', f, '--token-lifetime', '60s']],
    ['-- --env-file PATH (shielded from Node)', (f) => ['--', '--scenario', 'wrong-subject', '--env-file', f, '--token-lifetime', '60s']],
  ];
  for (const [form, args] of forms) {
    test(`${form}: one ready line, a loadable env file, a live admin endpoint, and a clean stop on SIGTERM`, async () => {
      const envFile = join(dir, `${form.length}.env`);
      const p = start(MAIN, args(envFile));
      running.push(p);
      await waitFor(() => p.out().includes('\n') || p.child.exitCode !== null, 30_000, 'the ready line');
      const lines = p.out().split('\n').filter(Boolean);
      assert.equal(lines.length, 1, p.out() + p.err());
      const m = /^sandbox ready: scenario=wrong-subject env-file=(\S+) admin=(http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0]!);
      assert.ok(m, lines[0]);
      assert.equal(m[1], envFile);
      const env = await readFile(envFile, 'utf8');
      assert.match(env, /^AWS_ROLE_ARN=arn:aws:iam::111122223333:role\/irsa-probe-demo$/m);
      const tokenFile = /^AWS_WEB_IDENTITY_TOKEN_FILE=(.+)$/m.exec(env)![1]!;
      await access(tokenFile);
      const scenario = (await (await fetch(`${m[2]}/scenario`)).json()) as { name: string };
      assert.equal(scenario.name, 'wrong-subject');
      assert.equal(await exitOf(p, 'SIGTERM'), 0);
      await assert.rejects(access(tokenFile), 'the temp dir is removed');
      await assert.rejects(access(envFile), 'the env file is removed');
    });
  }

  const bad: Array<[string[], RegExp]> = [
    [['--scenario', 'on-fire'], /^sandbox: --scenario="on-fire" is invalid: expected one of healthy, /],
    [['--token-lifetime', 'forever'], /^sandbox: --token-lifetime="forever" is invalid/],
    [['--frobnicate'], /^sandbox: Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of bad) {
    test(`${args.join(' ')} prints one line and exits 2`, async () => {
      const p = start(MAIN, args);
      assert.equal(await exitOf(p), 2);
      assert.equal(p.out(), '');
      assert.match(p.err(), message);
      assert.equal(p.err().trim().split('\n').length, 1, p.err());
    });
  }

  test('--help lists every scenario and exits 0', async () => {
    const p = start(MAIN, ['--help']);
    assert.equal(await exitOf(p), 0);
    for (const s of ['healthy', 'wrong-subject', 'not-injected', 'pod-identity', '--env-file', '--token-lifetime']) assert.ok(p.out().includes(s), s);
  });
});
