/**
 * The IAM examples match the manifests and the probe: the IRSA trust policy
 * admits exactly the example ServiceAccount with the probe's audience through an
 * OIDC provider principal, the permissions cover exactly the S3 check's calls,
 * and the Terraform creates the OIDC provider with a computed thumbprint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_S3_PREFIX } from '../../src/settings.js';
import { IRSA_AUDIENCE } from '../../src/mechanism.js';
import { parseRoleArn } from '../../src/aws-names.js';
import { chainPermissionPolicy, chainTrustStatement, EXTERNAL_ID } from '../../src/role-diagnose.js';
import { parseRoleTargets } from '../../src/role-targets.js';
import { K8S, ROOT, readYaml, type K8sObject } from './k8s-support.js';

const IAM = path.join(ROOT, 'iam');

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: { Federated?: string; Service?: string; AWS?: string };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

async function policy(name: string): Promise<Policy> {
  return JSON.parse(await readFile(path.join(IAM, name), 'utf8')) as Policy;
}

const actions = (s: Statement) => [s.Action].flat().sort();

describe('IAM examples', () => {
  it('the IRSA trust policy admits exactly the example ServiceAccount with the IRSA audience', async () => {
    const sa = await readYaml<K8sObject>(path.join(K8S, 'base', 'serviceaccount.yaml'));
    const kustomization = await readYaml<{ namespace: string }>(path.join(K8S, 'sidecar', 'kustomization.yaml'));
    const { Statement: [s, ...rest] } = await policy('trust-policy-irsa.json');
    assert.equal(rest.length, 0);
    assert.ok(s);
    assert.equal(s.Effect, 'Allow');
    assert.deepEqual(actions(s), ['sts:AssumeRoleWithWebIdentity']);
    const principal = s.Principal?.Federated ?? '';
    const m = /^arn:aws:iam::(\d{12}):oidc-provider\/(.+)$/.exec(principal);
    assert.ok(m, `Federated principal ${principal} is not an OIDC provider ARN`);
    const issuerHost = m[2]!;
    assert.deepEqual(s.Condition, {
      StringEquals: {
        [`${issuerHost}:sub`]: `system:serviceaccount:${kustomization.namespace}:${sa.metadata.name}`,
        [`${issuerHost}:aud`]: IRSA_AUDIENCE,
      },
    });
    const role = parseRoleArn(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '');
    assert.equal(role.accountId, m[1], 'the OIDC provider must live in the role account');
  });

  it('the Pod Identity trust policy trusts the EKS Pod Identity service with AssumeRole and TagSession', async () => {
    const { Statement } = await policy('trust-policy-pod-identity.json');
    assert.equal(Statement.length, 1);
    assert.equal(Statement[0]!.Principal?.Service, 'pods.eks.amazonaws.com');
    assert.deepEqual(actions(Statement[0]!), ['sts:AssumeRole', 'sts:TagSession']);
  });

  it("the permissions policy grants exactly the S3 check's put, get and delete under the probe's prefix", async () => {
    const { Statement } = await policy('permissions-policy.json');
    assert.equal(Statement.length, 1);
    assert.deepEqual(actions(Statement[0]!), ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    const resource = [Statement[0]!.Resource].flat()[0] ?? '';
    assert.match(resource, new RegExp(`^arn:aws:s3:::[a-z0-9.-]+/${DEFAULT_S3_PREFIX}\\*$`));
  });

  it("the role chain examples are what the probe prints for the example ServiceAccount's role and target", async () => {
    const sa = await readYaml<K8sObject>(path.join(K8S, 'base', 'serviceaccount.yaml'));
    const sourceRoleArn = sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '';
    const trust = await policy('trust-policy-role-chain-target.json');
    const permission = await policy('permissions-policy-role-chain.json');
    assert.equal(trust.Statement.length, 1);
    const { Sid: _trustSid, ...trustStatement } = trust.Statement[0]!;
    const externalId = trust.Statement[0]!.Condition?.StringEquals?.['sts:ExternalId'];
    assert.equal(typeof externalId, 'string');
    const [target] = parseRoleTargets(`${[permission.Statement[0]!.Resource].flat()[0]}#${externalId}`);
    assert.ok(target);
    assert.notEqual(target.accountId, parseRoleArn(sourceRoleArn).accountId, 'the example chains into another account');
    // The probe prints <EXTERNAL_ID> where the example has its value: no output carries a configured ExternalId.
    assert.deepEqual({ ...trustStatement, Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } }, chainTrustStatement(target, sourceRoleArn));
    const { Sid: _permissionSid, ...permissionStatement } = permission.Statement[0]!;
    assert.deepEqual({ ...permission, Statement: [permissionStatement] }, chainPermissionPolicy(target));
  });

  it('the Terraform grants sts:AssumeRole on the configured targets, and the target example trusts the source role with an optional ExternalId', async () => {
    const chain = await readFile(path.join(IAM, 'terraform', 'role-chain.tf'), 'utf8');
    assert.match(chain, /actions\s*=\s*\["sts:AssumeRole"\]\s*resources\s*=\s*var\.assume_role_arns/);
    assert.match(chain, /role\s*=\s*aws_iam_role\.app\.id/);
    const target = await readFile(path.join(IAM, 'terraform', 'role-chain-target.tf.example'), 'utf8');
    assert.match(target, /type\s*=\s*"AWS"\s*identifiers\s*=\s*\[var\.source_role_arn\]/);
    assert.match(target, /variable\s*=\s*"sts:ExternalId"/);
  });

  it('the Terraform creates the OIDC provider with the IRSA audience and a thumbprint computed from the issuer', async () => {
    const tf = await readFile(path.join(IAM, 'terraform', 'main.tf'), 'utf8');
    const provider = /resource "aws_iam_openid_connect_provider" "cluster" \{([\s\S]*?)\n\}/.exec(tf)?.[1] ?? '';
    assert.match(provider, new RegExp(`client_id_list\\s*=\\s*\\["${IRSA_AUDIENCE.replaceAll('.', '\\.')}"\\]`));
    assert.match(provider, /thumbprint_list\s*=\s*\[\s*data\.tls_certificate\.issuer\.certificates\[0\]\.sha1_fingerprint/);
    assert.match(tf, /data "tls_certificate" "issuer" \{\s*url\s*=\s*local\.issuer_url/);
    assert.match(tf, /variable\s*=\s*"\$\{local\.issuer_host\}:sub"/);
    assert.match(tf, /variable\s*=\s*"\$\{local\.issuer_host\}:aud"/);
  });
});
