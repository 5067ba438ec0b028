/**
 * S3 faults, end to end: a real `serve` process against the sandbox S3
 * (s3rver behind the fault proxy). The bucket missing, access denied, S3
 * failing intermittently; and the bucket never accumulating probe objects: at
 * most one object per pod under the prefix, even while deletes fail.
 * Measurements go to .tmp/reliability/faults-s3.json.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Report } from '../../src/types.js';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { World } from '../../sandbox/world.js';
import { ServeProcess } from '../helpers/process.js';
import { assertSurvived, FAST, measureFault, Observer, probeArgs, recoveryBound, Results, sleep, summarise, withProbe, type ProbeSetup } from './faults-harness.js';
import { sampleValue } from '../helpers/prom.js';

const TIMING = FAST;
const PREFIX = 'irsa-probe/';
const results = new Results('faults-s3');
/** Each case runs a probe of its own, as pod-a. */
const POD_A: ProbeSetup = { env: (p) => ({ ...p.world.env, IRSA_PROBE_POD_NAME: 'pod-a', IRSA_PROBE_S3_PREFIX: PREFIX }) };

/** Lists the whole bucket with the role's own credentials, retrying through injected 500s. */
async function lister(world: World): Promise<{ keys(): Promise<string[]>; close(): void }> {
  const sts = new STSClient({ region: 'us-west-2', endpoint: world.stsUrl, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
  const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: world.roleArn, RoleSessionName: 'reliability-lister', WebIdentityToken: await world.mintToken() }));
  sts.destroy();
  const c = out.Credentials!;
  const s3 = new S3Client({
    region: 'us-west-2',
    endpoint: world.s3Url,
    forcePathStyle: true,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
  });
  return {
    async keys() {
      for (let attempt = 0; ; attempt++) {
        try {
          const listed = await s3.send(new ListObjectsV2Command({ Bucket: world.bucket }));
          return (listed.Contents ?? []).map((o) => o.Key ?? '');
        } catch (error) {
          if (attempt >= 20) throw error;
          await sleep(20);
        }
      }
    },
    close: () => s3.destroy(),
  };
}

function successes(world: World, operation: string): number {
  const o = world.stats().s3[operation];
  return o === undefined ? 0 : o.requests - o.errors;
}

describe('S3 faults against a running probe', { concurrency: true }, () => {
  const faults: ReadonlyArray<{ fault: string; knob: Parameters<World['setFault']>[0]; reasons: string[] }> = [
    { fault: 'S3 bucket missing (NoSuchBucket)', knob: { s3NoBucket: true }, reasons: ['s3:s3_no_bucket'] },
    { fault: 'S3 denies the role (AccessDenied)', knob: { s3Deny: true }, reasons: ['s3:s3_access_denied'] },
  ];
  for (const f of faults) {
    test(`survives: ${f.fault}`, () =>
      withProbe(POD_A, async ({ world, obs }) => {
        const m = results.add(await measureFault(obs, TIMING, { group: 's3', fault: f.fault, apply: () => world.setFault(f.knob), clear: () => world.resetFaults() }));
        assertSurvived(m, f.reasons, recoveryBound(TIMING));
      }));
  }

  test('S3 failing intermittently (15% of requests) fails cycles as s3_error, turns unready only after the threshold, and recovers', () =>
    withProbe(POD_A, async ({ world, serve, obs }) => {
      await obs.until('a ready, passing baseline', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const t0 = Date.now();
      await world.setFault({ s3FlakyShare: 0.15 });
      // Eight cycles under the fault, however long the machine takes to run them.
      const started = (r: Report) => Date.parse(r.startedAt) >= t0;
      await obs.until('eight cycles with S3 flaky', () => obs.reportsIn(t0).filter(started).length >= 8, 60_000);
      const t1 = Date.now();
      await world.resetFaults();
      const up = await obs.until('/readyz 200 after flaky S3', (s) => s.ready && s.status.lastReport?.ok === true, 60_000);
      const flip = obs.samplesIn(t0, t1).find((s) => !s.ready);
      const m = results.add(summarise(obs, TIMING, { group: 's3', fault: 'S3 fails 15% of requests (500 InternalError)' }, { t0, t1, up, ...(flip ? { flip } : {}) }));
      assert.ok(m.cyclesDuringFault >= 8, `only ${m.cyclesDuringFault} cycles`);
      assert.ok(m.failedCycles >= 1 && m.failedCycles < m.cyclesDuringFault, `${m.failedCycles} of ${m.cyclesDuringFault} cycles failed: not intermittent`);
      assert.deepEqual(m.reasons, ['s3:s3_error']);
      assert.equal(m.overlaps, 0);
      assert.equal(m.livezNon200, 0);
      const metrics = (await serve.get('/metrics')).body;
      const counted = sampleValue(metrics, 'irsa_check_failures_total', { check: 's3', reason: 's3_error' }) ?? 0;
      assert.ok(counted >= m.failedCycles, `irsa_check_failures_total{check="s3",reason="s3_error"} is ${counted}, ${m.failedCycles} failed cycles were seen`);
      assert.ok(m.recoverMs! <= recoveryBound(TIMING), `recovery took ${m.recoverMs} ms`);
      assert.ok(m.failuresAtFlip === null || m.failuresAtFlip >= TIMING.failureThreshold, `readiness turned after ${m.failuresAtFlip} consecutive failed cycles (threshold ${TIMING.failureThreshold}); cause: ${m.flipCause}`);
    }));

  test('the bucket holds at most one probe object per pod, even while deletes fail', () =>
    withProbe(POD_A, async ({ world, obs }) => {
      const second = await ServeProcess.start({ ...world.env, IRSA_PROBE_POD_NAME: 'pod-b', IRSA_PROBE_S3_PREFIX: PREFIX }, probeArgs(TIMING));
      const list = await lister(world);
      try {
        await obs.until('pod-a ready', (s) => s.ready, 60_000);
        await new Observer(second).until('pod-b ready', (s) => s.ready, 60_000);
        const putsBefore = successes(world, 'PutObject');
        const deletesBefore = successes(world, 'DeleteObject');
        // A third of S3 requests fail: GetObject or DeleteObject failures leave the object behind.
        const t0 = Date.now();
        await world.setFault({ s3FlakyShare: 0.34 });
        const snapshots: string[][] = [];
        const end = Date.now() + 6_000;
        while (Date.now() < end) {
          snapshots.push(await list.keys());
          await obs.sample();
          await sleep(150);
        }
        await world.resetFaults();
        const leftBehind = successes(world, 'PutObject') - putsBefore - (successes(world, 'DeleteObject') - deletesBefore);
        await sleep(TIMING.intervalMs * 4);
        const settled = await list.keys();
        const most = Math.max(...snapshots.map((k) => k.length));
        results.add({
          ...summarise(obs, TIMING, { group: 's3', fault: 'S3 fails 34% of requests, two pods, listing the bucket', notes: `${snapshots.length} listings: at most ${most} objects (${[...new Set(snapshots.flat())].join(', ')}); ${leftBehind} puts not followed by a delete` }, { t0, t1: end }),
        });
        assert.ok(leftBehind > 0, 'no delete failed or was skipped: the test did not exercise left-behind objects');
        assert.ok(snapshots.some((k) => k.length > 0), 'no listing ever saw a probe object');
        for (const keys of snapshots) {
          assert.ok(keys.every((k) => k === `${PREFIX}pod-a` || k === `${PREFIX}pod-b`), `unexpected keys: ${keys.join(', ')}`);
          assert.ok(keys.length <= 2, `${keys.length} objects for two pods: ${keys.join(', ')}`);
        }
        assert.ok(settled.length <= 2 && settled.every((k) => k.startsWith(PREFIX)), `after the fault: ${settled.join(', ')}`);
      } finally {
        list.close();
        await second.stop();
      }
    }));
});
