/** The k8s check in the probe: advisory (never fails a cycle), off without a cluster, and its names reach every fix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKS, type CheckEntry } from '../../src/checks/index.js';
import { k8sCheck } from '../../src/checks/k8s.js';
import { KubeSession } from '../../src/kube/session.js';
import { Probe } from '../../src/probe.js';
import type { Config } from '../../src/config.js';
import { detectMechanism } from '../../src/mechanism.js';
import { configFrom, contextFor } from '../helpers/probe.js';

/** A probe running only `checks`, with no AWS behind it. */
function probeOf(config: Config, checks: readonly CheckEntry[], kube?: KubeSession): Probe {
  return new Probe({ config, mechanism: detectMechanism(config.aws), deps: {} as never, stsEndpoint: 'x', checks, kube });
}

describe('k8s check', () => {
  it('outside a cluster: skipped with one line saying why, nothing loaded', async () => {
    const ctx = { ...contextFor({ IRSA_PROBE_POD_NAME: 'p' }), kube: new KubeSession({}, { podName: 'p' }) };
    const verdict = await k8sCheck(ctx);
    assert.equal(verdict.status, 'skip');
    assert.equal(verdict.message, 'Kubernetes view off: not in a cluster (neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set)');
  });

  it('a hostile KUBECONFIG path reaches the message without its control characters', async () => {
    const ctx = { ...contextFor({ IRSA_PROBE_POD_NAME: 'p' }), kube: new KubeSession({ KUBECONFIG: '/tmp/x\n\u001b[31mFAKE' }, { podName: 'p' }) };
    const verdict = await k8sCheck(ctx);
    assert.equal(verdict.status, 'skip');
    assert.match(verdict.message, /^Kubernetes view off: cannot read KUBECONFIG=\/tmp\/x\\u000a\\u001b\[31mFAKE: ENOENT$/);
  });

  it('an unreachable API server: skipped, and the cycle stays ok', async () => {
    const config = configFrom({ IRSA_PROBE_POD_NAME: 'p', IRSA_PROBE_EXPECTED_ROLE_ARN: 'arn:aws:iam::111122223333:role/x' });
    const k8s = CHECKS.find((c) => c.name === 'k8s')!;
    const kube = new KubeSession({ KUBERNETES_SERVICE_HOST: '127.0.0.1' }, { podName: 'p' }, '/nonexistent');
    const probe = probeOf(config, [k8s], kube);
    const report = await probe.run(new AbortController().signal);
    assert.equal(report.ok, true);
    assert.match(report.checks[0]!.message, /^Kubernetes view off: no service-account CA at \/nonexistent\/ca\.crt/);
  });

  it('is advisory: a crash or a timeout is a skip, never a failed cycle', async () => {
    const config = configFrom({ IRSA_PROBE_POD_NAME: 'p', IRSA_PROBE_TIMEOUT: '100ms' });
    const k8s = CHECKS.find((c) => c.name === 'k8s')!;
    for (const run of [async () => { throw new Error('boom'); }, () => new Promise<never>(() => undefined)]) {
      const probe = probeOf(config, [{ ...k8s, run }]);
      const report = await probe.run(new AbortController().signal);
      assert.equal(report.ok, true);
      assert.equal(report.checks[0]!.status, 'skip');
      assert.match(report.checks[0]!.message, /^skipped: the k8s check (failed unexpectedly|did not finish)/);
    }
  });

  it('a fix written with placeholders comes out with the names the probe knows', async () => {
    const config = configFrom({ IRSA_PROBE_POD_NAME: 'p', IRSA_PROBE_NAMESPACE: 'payments', IRSA_PROBE_EXPECTED_ROLE_ARN: 'arn:aws:iam::111122223333:role/api' });
    const fake = { name: 'env', needs: [], fallbackReason: 'env_missing', run: async () => ({ status: 'fail', reason: 'env_missing', message: 'm', findings: [{ check: 'env', severity: 'error', reason: 'env_missing', cause: 'c', fix: 'kubectl annotate sa -n <NAMESPACE> <SERVICE_ACCOUNT> x=arn:aws:iam::<ACCOUNT_ID>:role/<ROLE_NAME>' }] }) } as const;
    const probe = probeOf(config, [fake as never]);
    const report = await probe.run(new AbortController().signal);
    assert.equal(report.checks[0]!.findings[0]!.fix, 'kubectl annotate sa -n payments <SERVICE_ACCOUNT> x=arn:aws:iam::111122223333:role/api');
  });
});
