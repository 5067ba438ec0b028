import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startWorld, type ScenarioName, type World } from '../../sandbox/world.js';

const run = promisify(execFile);
const WHOAMI = fileURLToPath(new URL('../../sandbox/whoami.js', import.meta.url));

interface Whoami {
  provider: string;
  arn?: string;
  error?: string;
  message?: string;
}

/**
 * Runs the SDK's own providers (fromNodeProviderChain / fromTokenFile) in a
 * child whose environment is only the world's env file, as a pod's would be.
 */
async function whoami(world: World, provider: 'chain' | 'token-file'): Promise<Whoami> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', ...world.env };
  const { stdout } = await run(process.execPath, [WHOAMI, '--provider', provider], { env, timeout: 60_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Whoami;
}

const cases: Array<[ScenarioName, 'chain' | 'token-file', RegExp]> = [
  ['healthy', 'chain', /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/.+$/],
  ['healthy', 'token-file', /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/.+$/],
  ['not-injected', 'chain', /^arn:aws:sts::111122223333:assumed-role\/eks-node-role\/i-0abc1234def567890$/],
  ['pod-identity', 'chain', /^arn:aws:sts::111122223333:assumed-role\/irsa-probe-demo\/eks-sandbox-demo-pod-0-.+$/],
];

describe('the AWS SDK\'s own credential providers against the sandbox', () => {
  const worlds = new Map<ScenarioName, World>();
  before(async () => {
    for (const scenario of new Set(cases.map(([s]) => s))) worlds.set(scenario, await startWorld({ scenario }));
  });
  after(async () => {
    for (const world of worlds.values()) await world.stop();
  });

  for (const [scenario, provider, arn] of cases) {
    test(`${scenario}: ${provider === 'chain' ? 'fromNodeProviderChain()' : 'fromTokenFile()'} + GetCallerIdentity is ${arn.source.includes('eks-node-role') ? 'the node role, through IMDS' : 'the pod\'s role'}`, async () => {
      const world = worlds.get(scenario)!;
      world.resetStats();
      const out = await whoami(world, provider);
      assert.match(out.arn ?? `${out.error}: ${out.message}`, arn);
      const stats = world.stats();
      if (scenario === 'not-injected') assert.ok((stats.imds.credentials?.requests ?? 0) >= 1, 'IMDS served the credentials');
      else if (scenario === 'pod-identity') assert.ok((stats.podIdentity.credentials?.requests ?? 0) >= 1, 'the agent served the credentials');
      else assert.equal(stats.sts.AssumeRoleWithWebIdentity?.requests, 1);
      assert.equal(stats.sts.GetCallerIdentity?.requests, 1);
    });
  }

  test('not-injected: fromTokenFile() has nothing to read and says so', async () => {
    const out = await whoami(worlds.get('not-injected')!, 'token-file');
    assert.equal(out.error, 'CredentialsProviderError');
    assert.match(out.message ?? '', /Web identity configuration not specified/);
  });
});
