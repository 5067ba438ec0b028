/**
 * The emulated API server's own CA and serving certificate (for 127.0.0.1),
 * and the kubeconfig files a client uses to reach it: one for the pod's
 * ServiceAccount (what the probe gets) and one for an administrator (kubectl).
 */
import { writeFile } from 'node:fs/promises';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';

export interface ServingCert {
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 86_400_000;

export async function makeServingCert(host: string): Promise<ServingCert> {
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const notAfterDate = new Date(Date.now() + 365 * DAY_MS);
  const ca = await generate([{ name: 'commonName', value: 'sandbox-kubernetes-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: host }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}

export interface KubeconfigFacts {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly user: string;
  readonly namespace: string;
}

/** A kubeconfig with one cluster, one user (bearer token) and one current context. */
function renderKubeconfig(f: KubeconfigFacts): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server: f.server, 'certificate-authority-data': Buffer.from(f.caPem).toString('base64') } }],
    users: [{ name: f.user, user: { token: f.token } }],
    contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: f.user, namespace: f.namespace } }],
    'current-context': 'sandbox',
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, facts: KubeconfigFacts): Promise<void> {
  await writeFile(path, renderKubeconfig(facts), { mode: 0o600 });
}
