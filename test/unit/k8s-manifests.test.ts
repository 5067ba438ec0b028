/**
 * The Kubernetes manifests: every overlay builds with kustomize, every object
 * validates against its schema (kubernetes-models), and the sidecar agrees with
 * the probe (port, paths, settings) and with the image (user), hardened alike in
 * every shape it ships in (sidecar, native sidecar, component).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { DEFAULT_PORT, SETTINGS } from '../../src/settings.js';
import { ENDPOINTS } from '../../src/server.js';
import { parseRoleArn } from '../../src/aws-names.js';
import { K8S, ROOT, kustomizeBuild, parseManifests, type K8sObject } from './k8s-support.js';

/** kind → model class: construct and validate against the Kubernetes/CRD schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ServiceAccount,
  Service,
  ConfigMap,
  Deployment,
  PodMonitor,
  PrometheusRule,
  Role,
  RoleBinding,
};

const OVERLAYS = ['sidecar', 'native-sidecar', 'start-gate', 'alert-only', 'component-example', 'monitoring'] as const;
/** Overlays with an app Deployment carrying irsa-probe, where the sidecar sits, and whether it gates readiness (README "Readiness gating"). */
const WORKLOADS = [
  { overlay: 'sidecar', placement: 'containers', gatesReadiness: true },
  { overlay: 'native-sidecar', placement: 'initContainers', gatesReadiness: true },
  { overlay: 'start-gate', placement: 'initContainers', gatesReadiness: false },
  { overlay: 'alert-only', placement: 'containers', gatesReadiness: false },
  { overlay: 'component-example', placement: 'containers', gatesReadiness: true },
] as const;

const IMAGE_USER = 65532;
const MiB = 1024 * 1024;

/** `96Mi` → 96; anything else fails (the manifests state memory in Mi). */
function mebibytes(quantity: unknown): number {
  const m = /^(\d+)Mi$/.exec(String(quantity));
  assert.ok(m, `memory quantity ${String(quantity)} is not in Mi`);
  return Number(m[1]);
}

/** The bench's memory runs with the image's flags (bench/figures.json, full run): the shipped one and its S3-on lever. */
async function shippedRuns(): Promise<Array<{ rssEndBytes: number; peakRssBytes: number }>> {
  type Run = { label: string; nodeOptions: string; rssEndBytes: number; peakRssBytes: number };
  const figures = JSON.parse(await readFile(path.join(ROOT, 'bench', 'figures.json'), 'utf8')) as { mode: string; nodeOptions: string; memory: Run; levers: Run[] };
  assert.equal(figures.mode, 'full');
  const runs = [figures.memory, ...figures.levers].filter((x) => x.nodeOptions === figures.nodeOptions && !x.label.includes('Node.js 20'));
  assert.ok(runs.some((x) => x.label.includes('S3')), 'bench/figures.json has no run with the S3 check on');
  return runs;
}
const SIDECAR = 'irsa-probe';
const PORT_NAME = 'irsa-probe';

interface Probe {
  httpGet?: { path?: string; port?: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  restartPolicy?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] }; seccompProfile?: { type?: string } };
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown> & { seccompProfile?: { type?: string } };
  containers: Container[];
  initContainers?: Container[];
}
interface DeploymentObject extends K8sObject {
  spec: { template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}

const built = new Map<string, K8sObject[]>();

async function build(overlay: string): Promise<K8sObject[]> {
  const r = await kustomizeBuild(path.join(K8S, overlay));
  assert.equal(r.code, 0, `kustomize build k8s/${overlay} failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

function only<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return found[0] as T;
}

function sidecarOf(deployment: DeploymentObject, placement: 'containers' | 'initContainers'): Container {
  const list = deployment.spec.template.spec[placement] ?? [];
  const c = list.find((x) => x.name === SIDECAR);
  assert.ok(c, `no ${SIDECAR} container in spec.template.spec.${placement}`);
  return c;
}

/** The port number a probe targets (by number or by container port name). */
function probePort(container: Container, probe: Probe | undefined): number | undefined {
  const port = probe?.httpGet?.port;
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

before(async () => {
  for (const overlay of OVERLAYS) built.set(overlay, await build(overlay));
});

describe('kustomize overlays', () => {
  for (const overlay of OVERLAYS) {
    it(`k8s/${overlay} builds and every object validates against its schema`, () => {
      const objects = built.get(overlay) ?? [];
      assert.ok(objects.length > 0, `k8s/${overlay} produced no objects`);
      for (const obj of objects) {
        const Model = MODELS[obj.kind];
        assert.ok(Model, `no schema model for kind ${obj.kind} (${obj.metadata.name}); add it to MODELS`);
        assert.doesNotThrow(() => new Model(obj as never).validate(), `${obj.kind}/${obj.metadata.name} in k8s/${overlay} is invalid`);
      }
    });
  }

  it('schema validation rejects a malformed object (the check has teeth)', () => {
    const objects = built.get('sidecar') ?? [];
    const deployment = structuredClone(only<DeploymentObject>(objects, 'Deployment'));
    const c = sidecarOf(deployment, 'containers');
    (c.ports as unknown as { containerPort: unknown }[])[0]!.containerPort = 'nine-eight-seven-six';
    assert.throws(() => new Deployment(deployment as never).validate(), /containerPort/);
  });
});

describe('irsa-probe sidecar', () => {
  for (const { overlay, placement, gatesReadiness } of WORKLOADS) {
    describe(`in k8s/${overlay}`, () => {
      const deployment = () => only<DeploymentObject>(built.get(overlay) ?? [], 'Deployment');
      const sidecar = () => sidecarOf(deployment(), placement);

      it("exposes the probe's default port under the name the PodMonitor scrapes", () => {
        assert.deepEqual(sidecar().ports?.map((p) => [p.name, p.containerPort]), [[PORT_NAME, DEFAULT_PORT]]);
      });

      it(`${gatesReadiness ? 'gates readiness on /readyz' : 'never gates readiness (no readinessProbe)'}, and liveness on /livez at that port`, () => {
        const c = sidecar();
        if (gatesReadiness) {
          assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
          assert.equal(probePort(c, c.readinessProbe), DEFAULT_PORT);
        } else {
          assert.equal(c.readinessProbe, undefined);
        }
        assert.equal(c.livenessProbe?.httpGet?.path, '/livez');
        for (const p of ['/readyz', '/livez']) assert.ok(p in ENDPOINTS, `${p} is not an endpoint the server serves`);
        assert.equal(probePort(c, c.livenessProbe), DEFAULT_PORT);
      });

      it('passes the pod name and namespace from the downward API', () => {
        const env = new Map((sidecar().env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
        assert.equal(env.get('IRSA_PROBE_POD_NAME'), 'metadata.name');
        assert.equal(env.get('IRSA_PROBE_NAMESPACE'), 'metadata.namespace');
      });

      it('sets only settings the probe knows', () => {
        const known = new Set(SETTINGS.map((s) => s.env));
        const unknown = (sidecar().env ?? []).map((e) => e.name).filter((n) => n.startsWith('IRSA_PROBE_') && !known.has(n));
        assert.deepEqual(unknown, []);
      });

      it('runs hardened: non-root as the image user, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
        const sc = sidecar().securityContext ?? {};
        const pod = deployment().spec.template.spec.securityContext ?? {};
        assert.equal(sc.runAsNonRoot, true);
        assert.equal(sc.runAsUser, IMAGE_USER);
        assert.equal(sc.readOnlyRootFilesystem, true);
        assert.equal(sc.allowPrivilegeEscalation, false);
        assert.deepEqual(sc.capabilities?.drop, ['ALL']);
        assert.equal(sc.seccompProfile?.type ?? pod.seccompProfile?.type, 'RuntimeDefault');
      });

      it('sets fsGroup so the non-root sidecar can read the projected token', () => {
        assert.equal(deployment().spec.template.spec.securityContext?.fsGroup, IMAGE_USER);
      });

      it('requests CPU and memory and limits memory', () => {
        const r = sidecar().resources;
        assert.ok(r?.requests?.cpu && r.requests.memory, 'requests.cpu and requests.memory must be set');
        assert.ok(r?.limits?.memory, 'limits.memory must be set');
      });

      it('sizes memory from the bench: the request covers the steady RSS, the limit half as much again over the peak', async () => {
        const r = sidecar().resources;
        const shipped = await shippedRuns();
        const steady = Math.max(...shipped.map((x) => x.rssEndBytes));
        const peak = Math.max(...shipped.map((x) => x.peakRssBytes));
        assert.ok(mebibytes(r?.requests?.memory) * MiB >= steady, `request ${r?.requests?.memory} is under the measured steady RSS ${(steady / MiB).toFixed(1)} MiB`);
        assert.ok(mebibytes(r?.limits?.memory) * MiB >= 1.5 * peak, `limit ${r?.limits?.memory} leaves less than 50% over the measured peak RSS ${(peak / MiB).toFixed(1)} MiB`);
      });

      it('runs the serve command', () => {
        assert.deepEqual(sidecar().args, ['serve']);
      });

      it('carries the label the PodMonitor selects', () => {
        const monitor = only<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(built.get('monitoring') ?? [], 'PodMonitor');
        const labels = deployment().spec.template.metadata.labels ?? {};
        for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(labels[k], v, `pod label ${k}`);
      });

      it('uses a ServiceAccount annotated with a well-formed role ARN', () => {
        const name = deployment().spec.template.spec.serviceAccountName;
        const sa = (built.get(overlay) ?? []).find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name);
        assert.ok(sa, `ServiceAccount ${String(name)} is not in the overlay`);
        const arn = sa.metadata.annotations?.['eks.amazonaws.com/role-arn'];
        assert.ok(arn, 'eks.amazonaws.com/role-arn annotation missing');
        assert.doesNotThrow(() => parseRoleArn(arn));
      });
    });
  }

  for (const overlay of ['native-sidecar', 'start-gate']) {
    it(`as a native sidecar (k8s/${overlay}): restartPolicy Always and a startupProbe on /readyz hold the app until the role works`, () => {
      const deployment = only<DeploymentObject>(built.get(overlay) ?? [], 'Deployment');
      const c = sidecarOf(deployment, 'initContainers');
      assert.equal(c.restartPolicy, 'Always');
      assert.equal(c.startupProbe?.httpGet?.path, '/readyz');
      assert.equal(probePort(c, c.startupProbe), DEFAULT_PORT);
      assert.ok(!deployment.spec.template.spec.containers.some((x) => x.name === SIDECAR), 'the sidecar must not also be a regular container');
    });
  }

  it('alert only holds nothing back: no startupProbe either', () => {
    const c = sidecarOf(only<DeploymentObject>(built.get('alert-only') ?? [], 'Deployment'), 'containers');
    assert.equal(c.startupProbe, undefined);
  });

  it('the component appends the sidecar after the app, keeping the app the default container', () => {
    const deployment = only<DeploymentObject>(built.get('component-example') ?? [], 'Deployment');
    assert.deepEqual(deployment.spec.template.spec.containers.map((c) => c.name), ['app', SIDECAR]);
  });

  it('annotation-based scraping points at the probe port and /metrics', () => {
    for (const overlay of ['sidecar', 'native-sidecar']) {
      const a = only<DeploymentObject>(built.get(overlay) ?? [], 'Deployment').spec.template.metadata.annotations ?? {};
      assert.equal(a['prometheus.io/scrape'], 'true', overlay);
      assert.equal(Number(a['prometheus.io/port']), DEFAULT_PORT, overlay);
      assert.equal(a['prometheus.io/path'], '/metrics', overlay);
    }
  });
});

describe('image and manifests agree', () => {
  const dockerfile = () => readFile(path.join(ROOT, 'Dockerfile'), 'utf8');

  it('the image runs as the numeric user the manifests expect and exposes the default port', async () => {
    const text = await dockerfile();
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    assert.match(runtime, new RegExp(`^USER ${IMAGE_USER}:${IMAGE_USER}$`, 'm'));
    assert.match(runtime, new RegExp(`^EXPOSE ${DEFAULT_PORT}$`, 'm'));
    assert.match(runtime, /^CMD \["serve"\]$/m);
  });

  it('the image runs what package.json `bin` and `npm start` name, and copies it from the build', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    const shipped = pkg.bin['irsa-probe'];
    assert.equal(shipped, 'dist/bundle/main.js');
    assert.equal(pkg.scripts.start, `node ${shipped} serve`);
    assert.match(pkg.scripts.build ?? '', /node scripts\/bundle\.mjs/);
    const text = await dockerfile();
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    assert.ok(runtime.includes(`ENTRYPOINT ["node", "/app/${shipped}"]`), 'ENTRYPOINT does not run the bin');
    assert.ok(runtime.includes('COPY --from=build --chown=0:0 /build/dist/bundle ./dist/bundle'), 'the bundle is not copied');
  });

  it('the default base is a public Node.js image of version 24 or newer', async () => {
    const m = /^ARG NODE_BASE=(\S+)$/m.exec(await dockerfile());
    assert.ok(m, 'ARG NODE_BASE with a default is missing');
    const version = /node(?:js)?:?(\d+)/.exec(m[1]!);
    assert.ok(version && Number(version[1]) >= 24, `NODE_BASE default ${m[1]} is not Node.js >= 24`);
  });
});
