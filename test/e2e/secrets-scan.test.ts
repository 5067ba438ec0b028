/**
 * Secret hygiene, end to end: run the probe through every sandbox scenario
 * (IRSA scenarios switched at run time under one `serve`; EKS Pod Identity and
 * the not-injected pod in their own worlds), collect everything it emits
 * (stdout/stderr logs at debug level, /status, /metrics, /readyz?verbose,
 * /readyz, /livez, /, and the report of `check` and `check --json` per
 * scenario), and scan it for the secrets it handled: the projected tokens
 * (read from the token files), and every secret access key and session token
 * STS, the Pod Identity agent and IMDS handed out (captured on the wire by
 * recording proxies in front of them). Zero hits.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { SCENARIOS, startWorld, type ScenarioName, type World } from '../../sandbox/world.js';
import { runCli, ServeProcess } from '../helpers/process.js';
import { HttpTap, Observer, Results, type EventRow } from './faults-harness.js';

const results = new Results<EventRow>('secrets-scan');
const ENDPOINTS = ['/status', '/metrics', '/readyz?verbose', '/readyz', '/livez', '/'];

interface Secret {
  readonly kind: 'token' | 'secret access key' | 'session token';
  readonly value: string;
}

/** Substrings that only this secret contains: the whole, URL-encoded, its long JWT segments, and slices from its middle. */
function needles(s: Secret): string[] {
  const out = new Set([s.value, encodeURIComponent(s.value)]);
  if (s.kind === 'token') for (const part of s.value.split('.').slice(1)) if (part.length >= 24) out.add(part.slice(-24));
  if (s.value.length >= 48) out.add(s.value.slice(s.value.length - 32));
  if (s.value.length >= 96) out.add(s.value.slice(48, 80));
  return [...out];
}

/** Credentials as STS (XML) and the Pod Identity agent and IMDS (JSON) answered them. */
function credentialsIn(body: string): Secret[] {
  const found: Secret[] = [];
  for (const m of body.matchAll(/<SecretAccessKey>([^<]+)<\/SecretAccessKey>|"SecretAccessKey"\s*:\s*"([^"]+)"/g)) found.push({ kind: 'secret access key', value: m[1] ?? m[2]! });
  for (const m of body.matchAll(/<SessionToken>([^<]+)<\/SessionToken>|"Token"\s*:\s*"([^"]+)"/g)) found.push({ kind: 'session token', value: m[1] ?? m[2]! });
  return found;
}

class Harvest {
  readonly outputs: Array<{ where: string; text: string }> = [];
  readonly tokens = new Set<string>();
  add(where: string, text: string): void {
    this.outputs.push({ where, text });
  }
  async readTokens(world: World): Promise<void> {
    for (const file of [world.tokenFile, world.podIdentityTokenFile]) {
      const text = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (text.length > 20) this.tokens.add(text);
    }
  }
  secrets(taps: readonly HttpTap[]): Secret[] {
    const all = new Map<string, Secret>();
    for (const t of this.tokens) all.set(t, { kind: 'token', value: t });
    for (const tap of taps) for (const e of tap.exchanges) for (const s of credentialsIn(e.responseBody)) all.set(s.value, s);
    for (const tap of taps) for (const e of tap.exchanges) {
      const token = new URLSearchParams(e.requestBody).get('WebIdentityToken');
      if (token) all.set(token, { kind: 'token', value: token });
    }
    return [...all.values()];
  }
  /** Where each secret shows up: "kind in where" (never the secret itself). */
  hits(secrets: readonly Secret[]): string[] {
    const out: string[] = [];
    for (const s of secrets) for (const n of needles(s)) for (const o of this.outputs) if (o.text.includes(n)) out.push(`${s.kind} in ${o.where}`);
    return [...new Set(out)];
  }
}

interface Rig {
  world: World;
  taps: HttpTap[];
  env: Record<string, string>;
}

/** A world with recording proxies in front of STS, the Pod Identity agent and IMDS, and the probe's env pointed at them. */
async function rig(scenario: ScenarioName): Promise<Rig> {
  const world = await startWorld({ scenario });
  const sts = await HttpTap.start(world.stsUrl);
  const agentUrl = new URL(world.podIdentityUrl);
  const agent = await HttpTap.start(agentUrl.origin);
  const imds = await HttpTap.start(world.imdsUrl);
  // With a role chain, so the target role's credentials (AssumeRole answers) are scanned for too.
  const env: Record<string, string> = { ...world.env, AWS_ENDPOINT_URL_STS: sts.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, IRSA_PROBE_LOG_LEVEL: 'debug', IRSA_PROBE_ASSUME_ROLES: world.targetRoleArn };
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI) env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${agent.url}${agentUrl.pathname}`;
  return { world, taps: [sts, agent, imds], env };
}

async function closeRig(r: Rig): Promise<void> {
  for (const t of r.taps) await t.close();
  await r.world.stop();
}

/** Everything one scenario makes the probe say: `check`, `check --json`, and every endpoint of the running `serve`. */
async function collect(h: Harvest, r: Rig, serve: ServeProcess, label: string): Promise<void> {
  const [text, json] = await Promise.all([runCli(['check'], r.env, 60_000), runCli(['check', '--json'], r.env, 60_000)]);
  for (const [name, run] of [['check', text], ['check --json', json]] as const) {
    assert.ok(run.code === 0 || run.code === 1, `${label}: ${name} exited ${run.code}: ${run.stderr.slice(-300)}`);
    h.add(`${label}: ${name} stdout`, run.stdout);
    h.add(`${label}: ${name} stderr`, run.stderr);
  }
  for (const path of ENDPOINTS) h.add(`${label}: GET ${path}`, (await serve.get(path)).body);
  await h.readTokens(r.world);
}

/** Waits until `serve` has reported at least two cycles that started after `since`. */
async function twoCyclesAfter(obs: Observer, since: number): Promise<void> {
  await obs.until('two cycles after the switch', () => obs.reportsIn(since).filter((rep) => Date.parse(rep.startedAt) >= since).length >= 2, 30_000);
}

function assertClean(h: Harvest, r: Rig, label: string, minCredentials: number): void {
  const secrets = h.secrets(r.taps);
  const credentials = secrets.filter((s) => s.kind !== 'token').length;
  const tokens = secrets.filter((s) => s.kind === 'token').length;
  const hits = h.hits(secrets);
  results.add({ group: 'secrets', event: `${label}: ${h.outputs.length} outputs scanned for ${tokens} tokens and ${credentials} keys/session tokens`, outcome: hits.length === 0 ? 'no secret found' : `LEAKS: ${hits.join('; ')}`, ms: null });
  assert.ok(tokens >= 1, `${label}: no token was captured: the scan would be vacuous`);
  assert.ok(credentials >= minCredentials, `${label}: only ${credentials} credentials were captured on the wire`);
  // Positive control: the same scan over what the emulators answered must find the credentials, and over a token file's text the token.
  const control = new Harvest();
  for (const tap of r.taps) for (const e of tap.exchanges) control.add('emulator answer', e.responseBody);
  control.add('token file', [...h.tokens][0]!);
  const found = control.hits(secrets);
  assert.ok(found.some((x) => x.startsWith('session token')) && found.some((x) => x.startsWith('token')), `${label}: the scan does not find secrets where they are: ${found.join('; ')}`);
  assert.deepEqual(hits, [], `${label}: secrets found in the probe's output`);
}

describe('no secret in anything the probe emits', { concurrency: true }, () => {
  const irsaScenarios = SCENARIOS.filter((s) => s !== 'pod-identity' && s !== 'not-injected');

  test(`IRSA scenarios (${irsaScenarios.join(', ')})`, async () => {
    const r = await rig('healthy');
    const h = new Harvest();
    await h.readTokens(r.world);
    const serve = await ServeProcess.start(r.env, ['--interval', '200ms']);
    try {
      const obs = new Observer(serve);
      for (const scenario of irsaScenarios) {
        const since = Date.now();
        await r.world.setScenario(scenario);
        await twoCyclesAfter(obs, since);
        await collect(h, r, serve, scenario);
      }
    } finally {
      await serve.stop();
      h.add('serve stdout', serve.stdout);
      h.add('serve stderr', serve.stderr);
      await h.readTokens(r.world);
    }
    try {
      assertClean(h, r, 'IRSA scenarios', 4);
    } finally {
      await closeRig(r);
    }
  });

  for (const scenario of ['pod-identity', 'not-injected'] as const) {
    test(`${scenario} world`, async () => {
      const r = await rig(scenario);
      const h = new Harvest();
      const serve = await ServeProcess.start(r.env, ['--interval', '200ms']);
      try {
        const obs = new Observer(serve);
        await twoCyclesAfter(obs, Date.now());
        await collect(h, r, serve, scenario);
        // Break and heal at run time too: errors carry the most text.
        for (const broken of ['sts-down', 's3-denied', 'expired-token', 'healthy'] as const) {
          const since = Date.now();
          await r.world.setScenario(broken);
          await twoCyclesAfter(obs, since);
          for (const path of ENDPOINTS) h.add(`${scenario}/${broken}: GET ${path}`, (await serve.get(path)).body);
          await h.readTokens(r.world);
        }
      } finally {
        await serve.stop();
        h.add('serve stdout', serve.stdout);
        h.add('serve stderr', serve.stderr);
      }
      try {
        assertClean(h, r, `${scenario} world`, 2);
      } finally {
        await closeRig(r);
      }
    });
  }
});
