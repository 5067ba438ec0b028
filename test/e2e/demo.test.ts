/**
 * `npm run demo` keeps its promises: the demo is run as a user runs it, its
 * printed commands are parsed and pasted into a shell, and each one does what
 * its comment says within the time it states. At its default interval it
 * starts without a warning about its own settings.
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as shellParse } from 'shell-quote';
import { after, describe, test } from 'node:test';
import { cleanEnv } from '../helpers/process.js';
import { pollFor } from './faults-harness.js';

const DEMO = fileURLToPath(new URL('../../sandbox/demo.js', import.meta.url));
const sh = promisify(execFile);

interface Printed {
  readonly look: string[];
  readonly breaks: Array<{ command: string; what: string; withinS: number }>;
  readonly heal: { command: string; withinS: number };
  readonly readyz: string;
}

class Demo {
  output = '';
  private constructor(readonly child: ChildProcess) {}

  static async start(args: string[]): Promise<Demo> {
    // As a user runs it: the demo hosts the sandbox, which is not what ships and
    // does not run under the image's NODE_OPTIONS (--jitless turns off the
    // WebAssembly that fetch needs); the demo gives its probe those flags itself.
    const { NODE_OPTIONS: _imageFlags, ...env } = cleanEnv({});
    const child = spawn(process.execPath, [DEMO, '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const demo = new Demo(child);
    child.stdout!.on('data', (d: Buffer) => (demo.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (demo.output += d.toString()));
    await pollFor('the demo to print its commands', () => (/Ctrl-C stops both/.test(demo.output) ? true : undefined), 30_000);
    return demo;
  }

  printed(): Printed {
    const lines = this.output.split('\n');
    const commands = lines.map((l) => /^ {2}(curl .*?)(?:\s+# (.*))?$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const breaks = commands.flatMap((m) => {
      const within = /\/readyz 503 within (\d+) s/.exec(m[2] ?? '');
      return within ? [{ command: m[1]!, what: m[2]!, withinS: Number(within[1]) }] : [];
    });
    const healLine = commands.find((m) => /\/readyz 200 within \d+ s/.test(m[2] ?? ''));
    assert.ok(healLine, `no heal command in:\n${this.output}`);
    const look = commands.filter((m) => m[2] === undefined && !m[1]!.includes('-XPOST')).map((m) => m[1]!);
    const readyz = look.find((c) => c.includes('/readyz'));
    assert.ok(readyz, 'no /readyz command printed');
    return { look, breaks, heal: { command: healLine[1]!, withinS: Number(/within (\d+) s/.exec(healLine[2]!)![1]) }, readyz };
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'close');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}

/** Runs a printed command exactly as a user pastes it. */
async function paste(command: string): Promise<string> {
  return (await sh('sh', ['-c', command], { timeout: 10_000 })).stdout;
}

/** The HTTP status of the printed /readyz command. */
async function readyzStatus(readyz: string): Promise<number> {
  try {
    return Number(await paste(readyz.replace(/^curl -s /, 'curl -s -o /dev/null -w %{http_code} ')));
  } catch {
    return 0; // not listening yet
  }
}

async function within(what: string, seconds: number, readyz: string, want: number): Promise<void> {
  await pollFor(`${what}: /readyz ${want} within ${seconds} s`, async () => ((await readyzStatus(readyz)) === want ? true : undefined), seconds * 1000, 200);
}

describe('npm run demo keeps its promises', { concurrency: true }, () => {
  const demos: Demo[] = [];
  const start = async (args: string[]): Promise<Demo> => {
    const demo = await Demo.start(args);
    demos.push(demo);
    return demo;
  };
  after(async () => {
    for (const d of demos) await d.stop();
  });

  test('at its defaults: starts with no warning, the look commands answer, wrong-subject turns /readyz 503 within the printed time and the heal command heals it; Ctrl-C stops the probe and the sandbox, which removes its env file', async () => {
    const demo = await start([]);
    const p = demo.printed();
    // --port 0: the demo prints the port its probe got, from the probe's own "started" line.
    const port = Number(/"msg":"started".*?"port":(\d+)/.exec(demo.output)?.[1]);
    assert.ok(port > 0, demo.output);
    // Shell-quoted: each printed command parses back to exactly its words.
    const commands = demo.output.split('\n').filter((l) => l.trim().startsWith('curl ')).map((l) => shellParse(l.trim()));
    assert.ok(commands.some((argv) => argv[2] === `http://127.0.0.1:${port}/readyz?verbose`), demo.output);
    const post = commands.find((argv) => argv[2] === '-XPOST' && String(argv[3]).endsWith('/scenario'));
    assert.ok(post, `no scenario command printed:\n${demo.output}`);
    const admin = String(post[3]).replace(/\/scenario$/, '');
    const envFile = /env file (\S+)\)/.exec(demo.output)?.[1];
    assert.ok(envFile, `no env file printed:\n${demo.output}`);
    await within('start', 30, p.readyz, 200);
    assert.equal((await fetch(`${admin}/scenario`)).status, 200);
    assert.doesNotMatch(demo.output, /"level":"warn"/, `the demo warned about its own settings:\n${demo.output}`);
    assert.match(await paste(`${p.readyz}`), /^\[\+\]sts ok/m);
    for (const command of p.look) assert.ok((await paste(command)).length > 0, `${command} printed nothing`);
    const wrongSubject = p.breaks.find((b) => b.command.includes('wrong-subject'));
    assert.ok(wrongSubject, 'no wrong-subject command printed');
    await paste(wrongSubject.command);
    await within(wrongSubject.what, wrongSubject.withinS, p.readyz, 503);
    assert.match(await paste(p.readyz), /sts failed: trust_policy_mismatch/);
    await paste(p.heal.command);
    await within('heal', p.heal.withinS, p.readyz, 200);
    assert.equal(await demo.stop('SIGINT'), 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/readyz`), 'the probe stopped');
    await assert.rejects(fetch(`${admin}/scenario`), 'the sandbox stopped');
    await assert.rejects(access(envFile), 'the sandbox cleaned up');
  });

  // Each printed break runs in a demo of its own, side by side: break, 503 within the stated time, heal, 200.
  test('with --interval 1s: every printed break command turns /readyz 503 within its stated time, and the heal command heals each', { concurrency: true }, async (t) => {
    const first = await start(['--interval', '1s']);
    const breaks = first.printed().breaks;
    assert.ok(breaks.length >= 5, `${breaks.length} break commands printed`);
    await Promise.all(
      breaks.map((b, i) =>
        t.test(b.what, async () => {
          const demo = i === 0 ? first : await start(['--interval', '1s']);
          const p = demo.printed();
          const mine = p.breaks[i]!;
          assert.equal(mine.what, b.what, 'two demos printed different break commands');
          await within('start', 30, p.readyz, 200);
          await paste(mine.command);
          await within(mine.what, mine.withinS, p.readyz, 503);
          await paste(p.heal.command);
          await within(`heal after ${mine.what}`, p.heal.withinS, p.readyz, 200);
          assert.equal(await demo.stop(), 0);
        }),
      ),
    );
  });
});
