/**
 * A real Prometheus (Debian's binary, on 127.0.0.1, 1 s scrape and evaluation,
 * temp data dir) scrapes the real probe running against the sandbox and evaluates
 * the project's alert rules (a copy with `for:` shortened): breaking the sandbox's
 * trust policy makes IrsaRoleAssumptionFailing fire with reason
 * trust_policy_mismatch; healing it resolves the alert. Alert state is read from
 * Prometheus' HTTP API (/api/v1/alerts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startWorld, type World } from '../../sandbox/world.js';
import { ROOT, loadRules, tempDir, writeRules, type RuleFile } from '../unit/k8s-support.js';
import { reservedRangePort, ServeProcess } from '../helpers/process.js';
import { FAST, probeArgs } from './faults-harness.js';

const STARTUP_DEADLINE_MS = 60_000;
const ALERT_DEADLINE_MS = 90_000;
/** `for:` in the test copy of the rules: long enough to see `pending` first. */
const TEST_FOR = '3s';
const JOB = 'irsa-probe';
const LABELS = { namespace: 'e2e', pod: 'probe-0' };

interface Proc {
  readonly child: ChildProcess;
  readonly output: () => string;
}

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => {
    out += `\nspawn error: ${e.message}`;
  });
  return { child, output: () => out };
}

async function stop(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}


/** Polls `fn` until it returns a value (not undefined) or the deadline passes. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, deadlineMs: number, context: () => string): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      if (error instanceof Error && /not installed|exited with code/.test(error.message)) throw new Error(`${error.message}\n${context()}`);
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${context()}`);
}

/** The test copy of the rules: every `for:` shortened so alerts fire in seconds. */
function fastRules(rules: RuleFile): RuleFile {
  return { groups: rules.groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.for ? { ...r, for: TEST_FOR } : r)) })) };
}

describe('alert rules on a real Prometheus scraping the probe', { timeout: 300_000 }, () => {
  let dir = '';
  let cleanupDir: () => Promise<void> = async () => {};
  let world: World | undefined;
  let probe: ServeProcess | undefined;
  let prometheus: Proc | undefined;
  let promUrl = '';
  const context = () =>
    [`--- sandbox scenario ${world?.scenario ?? '(not started)'}`, `--- probe\n${`${probe?.stdout ?? ''}${probe?.stderr ?? ''}`.slice(-3000)}`, `--- prometheus\n${prometheus?.output().slice(-2000) ?? ''}`].join('\n');

  async function roleAlerts(): Promise<PromAlert[]> {
    const res = await fetch(`${promUrl}/api/v1/alerts`);
    const body = (await res.json()) as { status: string; data: { alerts: PromAlert[] } };
    assert.equal(body.status, 'success');
    return body.data.alerts.filter((a) => a.labels.alertname === 'IrsaRoleAssumptionFailing');
  }

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  }

  before(async () => {
    ({ dir, cleanup: cleanupDir } = await tempDir('irsa-prom-e2e-'));

    world = await startWorld({ scenario: 'healthy', dir: path.join(dir, 'sandbox') });

    // The env the webhook would inject, pointed at the sandbox (its IMDS emulator
    // included: nothing leaves loopback). The probe assumes the role every cycle,
    // so a broken trust policy shows at the next one.
    probe = await ServeProcess.start({ ...world.env, HOME: dir, IRSA_PROBE_POD_NAME: LABELS.pod, IRSA_PROBE_NAMESPACE: LABELS.namespace }, probeArgs({ ...FAST, intervalMs: 200 }));
    // Where it listens, from its own "started" line: a port chosen for it beforehand could be taken first.
    const probePort = Number(new URL(probe.url).port);

    await writeRules(dir, fastRules(await loadRules()), 'rules.yml');
    const promPort = await reservedRangePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        '  - rules.yml',
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        '    static_configs:',
        `      - targets: ["127.0.0.1:${probePort}"]`,
        '        labels:',
        ...Object.entries(LABELS).map(([k, v]) => `          ${k}: ${v}`),
        '',
      ].join('\n'),
    );
    prometheus = start('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    const prom = prometheus;
    await until(
      'Prometheus to be ready',
      async () => {
        if (prom.output().includes('spawn error')) throw new Error('prometheus is not installed: run scripts/install-tools.sh prometheus (as root)');
        if (prom.child.exitCode !== null) throw new Error(`prometheus exited with code ${prom.child.exitCode}`);
        return (await fetch(`${promUrl}/-/ready`)).ok ? true : undefined;
      },
      STARTUP_DEADLINE_MS,
      context,
    );
  });

  after(async () => {
    await Promise.all([stop(prometheus), probe?.stop()]);
    await world?.stop();
    await cleanupDir();
  });

  it('scrapes a healthy probe and raises no role alert', async () => {
    await until(
      'irsa_probe_success == 1 in Prometheus',
      async () => ((await query(`irsa_probe_success{job="${JOB}"} == 1`)).length === 1 ? true : undefined),
      ALERT_DEADLINE_MS,
      context,
    );
    const up = await query(`up{job="${JOB}"}`);
    assert.equal(up[0]?.value[1], '1');
    assert.deepEqual(await roleAlerts(), []);
  });

  it('fires IrsaRoleAssumptionFailing with reason trust_policy_mismatch when the trust policy breaks', async () => {
    await world?.setScenario('wrong-subject');
    const seen = new Set<string>();
    const firing = await until(
      'IrsaRoleAssumptionFailing to fire',
      async () => {
        const alerts = await roleAlerts();
        for (const a of alerts) seen.add(a.state);
        return alerts.find((a) => a.state === 'firing');
      },
      ALERT_DEADLINE_MS,
      context,
    );
    assert.ok(seen.has('pending'), 'the alert should be pending before it fires (for: is honoured)');
    assert.equal(firing.labels.reason, 'trust_policy_mismatch');
    assert.equal(firing.labels.check, 'sts');
    assert.equal(firing.labels.severity, 'critical');
    assert.equal(firing.labels.namespace, LABELS.namespace);
    assert.equal(firing.labels.pod, LABELS.pod);
    assert.match(firing.annotations.description ?? '', /reason trust_policy_mismatch/);
    assert.match(firing.annotations.runbook_url ?? '', /docs\/operations\.md#irsaroleassumptionfailing$/);
  });

  it('resolves the alert once the trust policy is healed', async () => {
    await world?.setScenario('healthy');
    await until('IrsaRoleAssumptionFailing to resolve', async () => ((await roleAlerts()).length === 0 ? true : undefined), ALERT_DEADLINE_MS, context);
    const success = await query(`irsa_probe_success{job="${JOB}"}`);
    assert.equal(success[0]?.value[1], '1');
  });
});
