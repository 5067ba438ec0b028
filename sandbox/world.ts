/**
 * A whole IRSA world on loopback, started and stopped as one: the OIDC issuer
 * and the kubelet-style token files, STS, S3 (s3rver behind a fault proxy),
 * IMDSv2, the EKS Pod Identity agent, and the admin endpoint. This is the
 * programmatic API tests and benchmarks use; `main.ts` is the command line.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminServer } from './admin.js';
import { Counters, type Stats } from './counters.js';
import { CredentialStore } from './credentials.js';
import * as D from './defaults.js';
import { writeEnvFile, envFor } from './env-file.js';
import { NO_FAULTS, parseFaults, type Faults } from './faults.js';
import { ImdsEmulator } from './imds.js';
import { startKubeApi, type KubeApiEmulator } from './kube-api.js';
import { OidcIssuer, type ServiceAccountIdentity } from './issuer.js';
import { PodIdentityAgent } from './pod-identity.js';
import { Projection, refreshAt } from './projection.js';
import { S3Emulator } from './s3.js';
import { envKindOf, isScenario, SCENARIOS, setupFor, type Account, type ScenarioName, type WorldFacts } from './scenarios.js';
import { StsEmulator } from './sts.js';
import { targetAccount } from './target-account.js';
import { trustPolicyOf, withTrustPolicy } from './trust-admin.js';
import type { PolicyDocument } from './policy.js';
import { WebIdentityVerifier } from './web-identity.js';

export { SCENARIOS, type ScenarioName } from './scenarios.js';

export interface WorldOptions {
  /** Default healthy. Decides the env file's identity variables (fixed for the world's life). */
  readonly scenario?: ScenarioName;
  /** Projected token lifetime; rotated at 80% of it. Default 86400 (EKS). */
  readonly tokenLifetimeSeconds?: number;
  /** Where token files, s3rver data and the env file live. Default: a new temp dir, removed on stop. */
  readonly dir?: string;
  /** Where to write the env file. Default `<dir>/sandbox.env`. */
  readonly envFile?: string;
  /** Lifetime of credentials STS and the Pod Identity agent hand out when the caller asks for none. Default 3600. */
  readonly credentialsDurationSeconds?: number;
  /** Share of STS calls the `throttled` scenario throttles. Default 0.5. */
  readonly throttleShare?: number;
}

export interface World {
  readonly scenario: ScenarioName;
  /** The env file's variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly envFile: string;
  readonly dir: string;
  readonly adminUrl: string;
  readonly stsUrl: string;
  readonly s3Url: string;
  readonly imdsUrl: string;
  readonly podIdentityUrl: string;
  readonly issuerUrl: string;
  /** The IRSA token file (AWS_WEB_IDENTITY_TOKEN_FILE). */
  readonly tokenFile: string;
  /** The Pod Identity token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). */
  readonly podIdentityTokenFile: string;
  readonly roleArn: string;
  /** The role in the second account (444455556666) that the pod's role chains into. */
  readonly targetRoleArn: string;
  readonly nodeRoleArn: string;
  readonly bucket: string;
  readonly identity: ServiceAccountIdentity;
  /** An IAM user in the account with a long-term access key (STS knows it; S3 denies it). Not in the env file. */
  readonly staticUser: StaticUser;
  /** The Kubernetes API emulator (HTTPS, its own CA). */
  readonly kubeApiUrl: string;
  /** The pod ServiceAccount's kubeconfig (KUBECONFIG in the env file): the Role of k8s/ applies. */
  readonly kubeconfig: string;
  /** An administrator's kubeconfig, for kubectl in tests and demos. */
  readonly adminKubeconfig: string;
  /** Applies (true, the default) or removes the probe's Role and RoleBinding. */
  setKubeRbac(granted: boolean): void;
  setScenario(name: ScenarioName): Promise<void>;
  /** Sets fault knobs on top of the scenario's (validated; throws FaultError). */
  setFault(faults: Partial<Faults>): Promise<void>;
  /** Clears every explicitly set knob. */
  resetFaults(): Promise<void>;
  /** The knobs in effect (scenario's plus explicit). */
  faults(): Faults;
  account(): Account;
  /** The pod's account and the second one. */
  accounts(): readonly Account[];
  /** A role's trust policy, by role ARN (throws TrustPolicyError for an unknown role). */
  trustPolicy(roleArn: string): PolicyDocument;
  /** Replaces a role's trust policy until the next scenario switch (validated; throws TrustPolicyError). */
  setTrustPolicy(roleArn: string, policy: unknown): void;
  stats(): Stats;
  resetStats(): void;
  /** Rewrites the token files now (as kubelet does at 80% of their life). */
  rotateToken(): Promise<void>;
  /** A token for this pod from this issuer, e.g. for direct STS calls in tests. */
  mintToken(options?: { audience?: string; lifetimeSeconds?: number; issuedAt?: number }): Promise<string>;
  stop(): Promise<void>;
}

export interface StaticUser {
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const GARBAGE_TOKEN = 'this-is-not-a-jwt\n';

class SandboxWorld implements World {
  scenario: ScenarioName;
  env: Record<string, string> = {};
  envFile = '';
  /** The servers' URLs, set as each one starts. */
  adminUrl = '';
  stsUrl = '';
  s3Url = '';
  imdsUrl = '';
  podIdentityUrl = '';
  kubeApiUrl = '';
  private account_: Account;
  private target_: Account;
  private scenarioFaults: Partial<Faults>;
  private explicitFaults: Partial<Faults> = {};
  private readonly store = new CredentialStore();
  private readonly projections: Projection[] = [];
  private readonly closers: Array<() => Promise<void>> = [];
  private sts!: StsEmulator;
  private agent!: PodIdentityAgent;
  private kube!: KubeApiEmulator;
  kubeconfig = '';
  adminKubeconfig = '';
  readonly identity: ServiceAccountIdentity = { namespace: D.NAMESPACE, serviceAccount: D.SERVICE_ACCOUNT, serviceAccountUid: randomUUID(), podName: D.POD_NAME, podUid: randomUUID() };
  readonly roleArn = D.roleArn(D.ACCOUNT_ID, D.ROLE_NAME);
  readonly targetRoleArn = D.roleArn(D.TARGET_ACCOUNT_ID, D.TARGET_ROLE_NAME);
  readonly nodeRoleArn = D.roleArn(D.ACCOUNT_ID, D.NODE_ROLE_NAME);
  readonly bucket = D.BUCKET;
  readonly staticUser: StaticUser;
  private readonly facts: WorldFacts;

  constructor(
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly issuer: OidcIssuer,
    private readonly counters: Counters,
    private readonly options: WorldOptions,
  ) {
    this.scenario = options.scenario ?? 'healthy';
    const user = this.store.addUser(D.ACCOUNT_ID, D.STATIC_USER_NAME);
    this.staticUser = { arn: D.userArn(D.ACCOUNT_ID, D.STATIC_USER_NAME), accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey };
    this.facts = {
      accountId: D.ACCOUNT_ID,
      issuerUrl: issuer.url,
      issuerThumbprint: issuer.thumbprint,
      namespace: this.identity.namespace,
      serviceAccount: this.identity.serviceAccount,
      roleName: D.ROLE_NAME,
      audience: D.IRSA_AUDIENCE,
      roleMaxSessionSeconds: Math.max(3600, this.credentialsSeconds()),
      throttleShare: options.throttleShare ?? 0.5,
    };
    const setup = setupFor(this.scenario, this.facts);
    this.account_ = setup.account;
    this.target_ = targetAccount(this.scenario, this.facts);
    this.scenarioFaults = setup.faults;
  }

  get issuerUrl(): string {
    return this.issuer.url;
  }
  get tokenFile(): string {
    return this.projections[0]!.path;
  }
  get podIdentityTokenFile(): string {
    return this.projections[1]!.path;
  }

  credentialsSeconds(): number {
    return this.options.credentialsDurationSeconds ?? D.CREDENTIALS_DURATION_SECONDS;
  }

  tokenLifetime(): number {
    return this.options.tokenLifetimeSeconds ?? D.TOKEN_LIFETIME_SECONDS;
  }

  faults(): Faults {
    return { ...NO_FAULTS, ...this.scenarioFaults, ...this.explicitFaults };
  }

  account(): Account {
    return this.account_;
  }

  accounts(): readonly Account[] {
    return [this.account_, this.target_];
  }

  trustPolicy(roleArn: string): PolicyDocument {
    return trustPolicyOf(this.accounts(), roleArn);
  }

  setTrustPolicy(roleArn: string, policy: unknown): void {
    [this.account_, this.target_] = withTrustPolicy(this.accounts(), roleArn, policy) as [Account, Account];
  }

  async start(): Promise<void> {
    this.closers.push(() => this.issuer.close());
    const verifier = new WebIdentityVerifier((iss) => (iss === this.issuer.url ? this.issuer.thumbprint : undefined));
    this.sts = await StsEmulator.start(
      { region: D.REGION, account: () => this.account_, accounts: () => this.accounts(), faults: () => this.faults(), defaultDurationSeconds: () => this.credentialsSeconds() },
      this.store,
      this.counters,
      verifier,
    );
    this.closers.push(() => this.sts.close());
    this.stsUrl = this.sts.url;
    // Permissions belong to the role: once it is deleted, its earlier sessions are denied.
    const allowedRoles = (): string[] => (this.account_.roles.some((r) => r.name === D.ROLE_NAME) ? [D.ROLE_NAME] : []);
    const s3 = await S3Emulator.start({ region: D.REGION, bucket: this.bucket, allowedRoles, faults: () => this.faults() }, this.store, this.counters, join(this.dir, 's3rver'));
    this.closers.push(() => s3.close());
    this.s3Url = s3.url;
    const imds = await ImdsEmulator.start({ accountId: D.ACCOUNT_ID, region: D.REGION, roleName: D.NODE_ROLE_NAME, instanceId: D.INSTANCE_ID }, this.store, this.counters);
    this.closers.push(() => imds.close());
    this.imdsUrl = imds.url;
    this.agent = await PodIdentityAgent.start(
      { issuerUrl: this.issuer.url, issuerJwk: this.issuer.jwk, clusterName: D.CLUSTER_NAME, account: () => this.account_, credentialsSeconds: () => this.credentialsSeconds() },
      this.store,
      this.counters,
    );
    this.closers.push(() => this.agent.close());
    this.podIdentityUrl = this.agent.credentialsUrl;
    this.projections.push(this.projection(D.IRSA_TOKEN_DIR, D.IRSA_TOKEN_FILE, D.IRSA_AUDIENCE), this.projection(D.POD_IDENTITY_TOKEN_DIR, D.POD_IDENTITY_TOKEN_FILE, D.POD_IDENTITY_AUDIENCE));
    await this.applyTokenFaults(undefined, this.faults());
    await this.applyListenerFaults(this.faults());
    await this.startKube();
    await this.writeEnv();
    const admin = await AdminServer.start(this);
    this.adminUrl = admin.url;
    this.closers.push(() => admin.close());
  }

  /** The API server holding this pod, its ServiceAccount and its owners, and the two kubeconfigs. */
  private async startKube(): Promise<void> {
    const facts = {
      kind: envKindOf(this.scenario),
      namespace: this.identity.namespace,
      podName: this.identity.podName,
      podUid: this.identity.podUid,
      serviceAccount: this.identity.serviceAccount,
      serviceAccountUid: this.identity.serviceAccountUid,
      deployment: D.DEPLOYMENT_NAME,
      roleArn: this.roleArn,
      irsaTokenFile: this.tokenFile,
      podIdentityTokenFile: this.podIdentityTokenFile,
      podIdentityUrl: this.podIdentityUrl,
      createdAt: new Date(),
    };
    const started = await startKubeApi(facts, join(this.dir, 'kube'));
    this.kube = started.api;
    this.closers.push(() => this.kube.close());
    this.kubeApiUrl = this.kube.url;
    this.kubeconfig = started.kubeconfig;
    this.adminKubeconfig = started.adminKubeconfig;
  }

  setKubeRbac(granted: boolean): void {
    this.kube.rbac = granted;
  }

  private projection(relativeDir: string, fileName: string, audience: string): Projection {
    return new Projection({
      volumeDir: join(this.dir, relativeDir),
      fileName,
      produce: () => this.tokenContent(audience),
      onWrite: () => this.counters.tokenWritten(),
      onError: (error) => process.emitWarning(`sandbox: token rotation failed: ${(error as Error).message}`),
    });
  }

  private async tokenContent(audience: string): Promise<{ content: string; refreshAtMs: number }> {
    const lifetimeSeconds = this.tokenLifetime();
    const now = Math.floor(Date.now() / 1000);
    const mint = (issuedAt: number): Promise<string> => this.issuer.mint(this.identity, { audience, lifetimeSeconds, issuedAt });
    // Tokens that are not fresh are rewritten on the same rhythm as fresh ones.
    const refreshAtMs = refreshAt(now, lifetimeSeconds);
    switch (this.faults().tokenContent) {
      case 'valid':
        return { content: await mint(now), refreshAtMs };
      case 'expired':
        return { content: await mint(now - lifetimeSeconds - 3600), refreshAtMs };
      case 'future-iat':
        return { content: await mint(now + 3600), refreshAtMs };
      case 'garbage':
        return { content: GARBAGE_TOKEN, refreshAtMs };
      case 'empty':
        return { content: '', refreshAtMs };
    }
  }

  private async writeEnv(): Promise<void> {
    const awsDir = join(this.dir, 'aws');
    await mkdir(awsDir, { recursive: true });
    const awsConfigFile = join(awsDir, 'config');
    const awsCredentialsFile = join(awsDir, 'credentials');
    await writeFile(awsConfigFile, '');
    await writeFile(awsCredentialsFile, '');
    this.env = envFor({
      kind: envKindOf(this.scenario),
      roleArn: this.roleArn,
      region: D.REGION,
      irsaTokenFile: this.tokenFile,
      podIdentityTokenFile: this.podIdentityTokenFile,
      podIdentityUrl: this.podIdentityUrl,
      stsUrl: this.stsUrl,
      s3Url: this.s3Url,
      imdsUrl: this.imdsUrl,
      awsConfigFile,
      awsCredentialsFile,
      bucket: this.bucket,
      podName: this.identity.podName,
      namespace: this.identity.namespace,
      kubeconfig: this.kubeconfig,
    });
    this.envFile = this.options.envFile ?? join(this.dir, 'sandbox.env');
    await writeEnvFile(this.envFile, this.env);
    this.closers.push(() => rm(this.envFile, { force: true }));
  }

  async setScenario(name: ScenarioName): Promise<void> {
    if (!isScenario(name)) throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${SCENARIOS.join(', ')}`);
    const before = this.faults();
    const setup = setupFor(name, this.facts);
    this.scenario = name;
    this.account_ = setup.account;
    this.target_ = targetAccount(name, this.facts);
    this.scenarioFaults = setup.faults;
    await this.applyEffects(before);
  }

  async setFault(faults: Partial<Faults>): Promise<void> {
    const checked = parseFaults(faults);
    const before = this.faults();
    this.explicitFaults = { ...this.explicitFaults, ...checked };
    await this.applyEffects(before);
  }

  async resetFaults(): Promise<void> {
    const before = this.faults();
    this.explicitFaults = {};
    await this.applyEffects(before);
  }

  /** Knobs that act on their own (token files, the STS listener) follow every change. */
  private async applyEffects(before: Faults): Promise<void> {
    const after = this.faults();
    await this.applyTokenFaults(before, after);
    await this.applyListenerFaults(after);
  }

  private async applyTokenFaults(before: Faults | undefined, after: Faults): Promise<void> {
    const rotate = after.tokenRotation === 'running';
    for (const p of this.projections) p.setRotation(rotate);
    const resumed = before !== undefined && before.tokenRotation !== 'running' && rotate;
    if (before === undefined || before.tokenContent !== after.tokenContent || resumed) await this.rotateToken();
  }

  private async applyListenerFaults(after: Faults): Promise<void> {
    await this.sts.setRefusing(after.stsRefuse, 'stsRefuse');
    await this.agent.setRefusing(after.podIdentityRefuse, 'podIdentityRefuse');
  }

  stats(): Stats {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  async rotateToken(): Promise<void> {
    await Promise.all(this.projections.map((p) => p.refresh()));
  }

  mintToken(options: { audience?: string; lifetimeSeconds?: number; issuedAt?: number } = {}): Promise<string> {
    return this.issuer.mint(this.identity, { audience: options.audience ?? D.IRSA_AUDIENCE, lifetimeSeconds: options.lifetimeSeconds ?? this.tokenLifetime(), issuedAt: options.issuedAt });
  }

  async stop(): Promise<void> {
    for (const p of this.projections) p.stop();
    for (const close of this.closers.reverse().splice(0)) await close().catch(() => undefined);
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  if (options.scenario !== undefined && !isScenario(options.scenario)) throw new Error(`unknown scenario ${JSON.stringify(options.scenario)}; known: ${SCENARIOS.join(', ')}`);
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'irsa-sandbox-')));
  await mkdir(dir, { recursive: true });
  const counters = new Counters();
  const issuer = await OidcIssuer.start(counters);
  const world = new SandboxWorld(dir, ownsDir, issuer, counters, options);
  try {
    await world.start();
  } catch (error) {
    await world.stop();
    throw error;
  }
  return world;
}
