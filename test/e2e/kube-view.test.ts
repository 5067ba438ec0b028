/**
 * The Kubernetes view end to end: the compiled probe against the sandbox's
 * API emulator, driven and checked with the real kubectl (Debian's
 * kubernetes-client; scripts/install-tools.sh kubectl).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startWorld, type World } from '../../sandbox/world.js';
import type { Finding, Report } from '../../src/types.js';
import { runCli, ServeProcess } from '../helpers/process.js';
import { sampleValue } from '../helpers/prom.js';
import { FAST, Observer, pollFor, probeArgs } from './faults-harness.js';

const exec = promisify(execFile);
const OTHER_ROLE = 'arn:aws:iam::111122223333:role/irsa-probe-next';
const PLACEHOLDER = /<[A-Z][A-Z_]*>/;

let kubeHome = '';

async function kubectl(world: World, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('kubectl', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: kubeHome, KUBECONFIG: world.adminKubeconfig }, timeout: 30_000 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not installed: run scripts/install-tools.sh kubectl (as root)');
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

function k8sFindings(report: Report): readonly Finding[] {
  return report.checks.find((c) => c.name === 'k8s')?.findings ?? [];
}

async function cycles(probe: ServeProcess): Promise<number> {
  return sampleValue((await probe.get('/metrics')).body, 'irsa_probe_cycles_total') ?? Number.NaN;
}

const until = <T>(what: string, get: () => Promise<T | undefined>): Promise<T> => pollFor(what, get, 20_000, 100);

before(async () => {
  kubeHome = await mkdtemp(join(tmpdir(), 'irsa-kubectl-'));
});
after(async () => {
  await rm(kubeHome, { recursive: true, force: true });
});

describe('the sandbox API emulator answers the real kubectl', () => {
  let world: World;
  before(async () => (world = await startWorld()));
  after(async () => world.stop());

  test('get pod, get sa -o jsonpath, annotate --overwrite, describe pod', async () => {
    assert.match(await kubectl(world, 'get', 'pod'), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\ndemo-pod-0\s+2\/2\s+Running\s+0\s/);
    assert.equal(await kubectl(world, 'get', 'sa', 'irsa-probe-demo', '-o', 'jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}'), world.roleArn);
    assert.match(await kubectl(world, 'annotate', 'sa', 'irsa-probe-demo', `eks.amazonaws.com/role-arn=${world.roleArn}`, '--overwrite'), /annotated/);
    const described = await kubectl(world, 'describe', 'pod', 'demo-pod-0');
    assert.match(described, /Service Account:\s+irsa-probe-demo/);
    assert.match(described, /Controlled By:\s+ReplicaSet\/irsa-probe-demo-/);
    assert.match(described, /AWS_ROLE_ARN:\s+arn:aws:iam::111122223333:role\/irsa-probe-demo/);
  });

  test("the pod's own kubeconfig gets what the Role allows, and is forbidden the rest", async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: kubeHome, KUBECONFIG: world.kubeconfig };
    const { stdout } = await exec('kubectl', ['get', 'pod', 'demo-pod-0', '-o', 'name'], { env });
    assert.equal(stdout.trim(), 'pod/demo-pod-0');
    await assert.rejects(exec('kubectl', ['get', 'sa'], { env }), (e: { stderr: string }) => /Forbidden.*cannot list resource "serviceaccounts"/.test(e.stderr));
  });
});

describe('serve with the Kubernetes view (healthy world)', () => {
  let world: World;
  let probe: ServeProcess | undefined;
  let obs: Observer;
  before(async () => {
    world = await startWorld();
    probe = await ServeProcess.start(world.env, probeArgs({ ...FAST, intervalMs: 1_000 }));
    obs = new Observer(probe);
    await probe.waitFor('/readyz', (r) => r.status === 200);
  });
  after(async () => {
    await probe?.stop();
    await world.stop();
  });

  test('annotating the ServiceAccount to another role shows sa_annotation_drift within a cycle; /readyz stays 200', async () => {
    const before = await cycles(probe!);
    await kubectl(world, 'annotate', 'sa', 'irsa-probe-demo', `eks.amazonaws.com/role-arn=${OTHER_ROLE}`, '--overwrite');
    const drift = await until('sa_annotation_drift', async () => k8sFindings((await obs.sample()).status.lastReport ?? ({ checks: [] } as unknown as Report)).find((f) => f.reason === 'sa_annotation_drift'));
    // The cycle in flight may have read the ServiceAccount before the change, and a
    // read is reused for up to a second (one more cycle at a 1 s interval): at most 3.
    const took = (await cycles(probe!)) - before;
    assert.ok(took <= 3, `${took} cycles to show the drift`);
    assert.equal(drift.severity, 'warning');
    assert.ok(drift.cause.includes(OTHER_ROLE) && drift.cause.includes(world.roleArn), drift.cause);
    assert.ok(drift.fix.includes('kubectl rollout restart -n default deployment/irsa-probe-demo'), drift.fix);
    assert.doesNotMatch(drift.fix, PLACEHOLDER);
    assert.equal((await probe!.get('/readyz')).status, 200);
    await kubectl(world, 'annotate', 'sa', 'irsa-probe-demo', `eks.amazonaws.com/role-arn=${world.roleArn}`, '--overwrite');
  });

  test('breaking the trust policy records an IrsaProbeNotReady Event naming the reason; healing records IrsaProbeReady', async () => {
    await world.setScenario('wrong-subject');
    await probe!.waitFor('/readyz', (r) => r.status === 503, 30_000);
    const events = await until('the IrsaProbeNotReady Event', async () => {
      const list = JSON.parse(await kubectl(world, 'get', 'events', '--field-selector', 'involvedObject.name=demo-pod-0', '-o', 'json')) as { items: Array<{ reason: string; type: string; message: string; count: number }> };
      return list.items.find((e) => e.reason === 'IrsaProbeNotReady') ? list.items : undefined;
    });
    const notReady = events.find((e) => e.reason === 'IrsaProbeNotReady')!;
    assert.equal(notReady.type, 'Warning');
    assert.match(notReady.message, /check sts failed: trust_policy_mismatch/);
    assert.match(await kubectl(world, 'get', 'events', '--field-selector', 'involvedObject.name=demo-pod-0'), /Warning\s+IrsaProbeNotReady\s+pod\/demo-pod-0\s+check sts failed: trust_policy_mismatch/);
    await world.setScenario('healthy');
    await probe!.waitFor('/readyz', (r) => r.status === 200, 30_000);
    const described = await until('IrsaProbeReady in describe', async () => {
      const text = await kubectl(world, 'describe', 'pod', 'demo-pod-0');
      return /Normal\s+IrsaProbeReady/.test(text) ? text : undefined;
    });
    assert.match(described, /Warning\s+IrsaProbeNotReady\s.*trust_policy_mismatch/);
  });
});

describe('not-injected: an annotated ServiceAccount, an unmutated pod', () => {
  let world: World;
  before(async () => (world = await startWorld({ scenario: 'not-injected' })));
  after(async () => world.stop());

  async function webhookFinding(): Promise<Finding> {
    const run = await runCli(['check', '--json'], world.env);
    assert.equal(run.code, 1, run.stderr);
    const finding = k8sFindings(JSON.parse(run.stdout) as Report).find((f) => f.reason === 'webhook_not_applied');
    assert.ok(finding, run.stdout);
    return finding;
  }

  test('annotated before the pod was created: the webhook did not run (health, skip-containers), fix without placeholders', async () => {
    const finding = await webhookFinding();
    assert.match(finding.cause, /from before this pod was created/);
    assert.match(finding.fix, /mutatingwebhookconfiguration pod-identity-webhook/);
    assert.match(finding.fix, /skip-containers/);
    assert.ok(finding.fix.includes('kubectl rollout restart -n default deployment/irsa-probe-demo'), finding.fix);
    assert.doesNotMatch(finding.fix, PLACEHOLDER);
  });

  test('annotated after the pod was created (kubectl annotate): restart the workload', async () => {
    await kubectl(world, 'annotate', 'sa', 'irsa-probe-demo', `eks.amazonaws.com/role-arn=${OTHER_ROLE}`, '--overwrite');
    const finding = await webhookFinding();
    assert.match(finding.cause, /after this pod was created/);
    assert.equal(finding.fix, 'Restart the workload so its new pods are mutated:\n  kubectl rollout restart -n default deployment/irsa-probe-demo');
  });
});

describe('without access the view is off, says why once, and changes nothing else', () => {
  let world: World;
  before(async () => (world = await startWorld()));
  after(async () => world.stop());

  for (const [label, setup, why] of [
    ['no RBAC', (w: World) => (w.setKubeRbac(false), w.env), /Kubernetes view off: forbidden .*k8s\/base\/rbac\.yaml/],
    ['outside a cluster', (w: World) => Object.fromEntries(Object.entries(w.env).filter(([k]) => k !== 'KUBECONFIG')), undefined],
  ] as const) {
    test(`${label}: ready as before; ${why ? 'one log line saying why' : 'the k8s check says why, no log line'}`, async () => {
      const probe = await ServeProcess.start(setup(world), probeArgs({ ...FAST, intervalMs: 1_000 }));
      const obs = new Observer(probe);
      try {
        await probe.waitFor('/readyz', (r) => r.status === 200);
        const report = await until('three cycles', async () => {
          const r = (await obs.sample()).status.lastReport ?? undefined;
          return r && (await cycles(probe)) >= 3 ? r : undefined;
        });
        assert.equal(report.ok, true);
        const k8s = report.checks.find((c) => c.name === 'k8s');
        assert.equal(k8s?.status, 'skip');
        const lines = probe.stdout.split('\n').filter((l) => l.includes('Kubernetes view off'));
        if (why === undefined) {
          assert.deepEqual(lines, []);
          assert.match(k8s!.message, /Kubernetes view off: not in a cluster/);
        } else {
          assert.equal(lines.length, 1, probe.stdout);
          assert.match(lines[0]!, why);
        }
      } finally {
        await probe.stop();
        world.setKubeRbac(true);
      }
    });
  }
});
