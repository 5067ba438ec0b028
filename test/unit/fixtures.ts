/**
 * Per-describe fixtures for the unit tests. Each registers before/after hooks
 * in the describe that calls it, so what it makes exists for that describe's
 * tests only and is removed after them; the returned function reads it inside
 * those tests (not while the describe is being declared).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Config } from '../../src/config.js';
import { Health } from '../../src/health.js';
import { detectMechanism } from '../../src/mechanism.js';
import { buildStatus } from '../../src/status.js';
import type { Report } from '../../src/types.js';
import { mintToken, TokenDir } from '../helpers/tokens.js';

function perDescribe<T>(setup: () => Promise<T>, teardown: (value: T) => Promise<void>): () => T {
  let made: { readonly value: T } | undefined;
  before(async () => {
    made = { value: await setup() };
  });
  after(async () => {
    if (made !== undefined) await teardown(made.value);
    made = undefined;
  });
  return () => {
    if (made === undefined) throw new Error('a fixture was read outside the tests of the describe that made it');
    return made.value;
  };
}

/** A new directory under the OS temp dir (named `prefix` + random), and what removes it with its contents. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * makeTempDir(prefix) for the tests of one describe (or of the file, at top
 * level), with what `fill` puts in it, removed after them. At top level, fill it
 * here rather than in a before() of its own: Node 20 starts top-level before()
 * hooks without waiting for the one before to finish.
 */
export function tempDir(prefix: string, fill?: (dir: string) => unknown): () => string {
  const made = perDescribe(
    async () => {
      const temp = await makeTempDir(prefix);
      await fill?.(temp.dir);
      return temp;
    },
    ({ cleanup }) => cleanup(),
  );
  return () => made().dir;
}

export interface MintedToken {
  /** The projected-volume directory; `dir.path` is the token file. */
  readonly dir: TokenDir;
  /** The token it holds (mintToken's defaults: valid for a day from now). */
  readonly token: string;
}

/** A kubelet-style token directory holding one freshly minted token. */
export function mintedTokenDir(): () => MintedToken {
  return perDescribe(
    async () => {
      const token = await mintToken();
      const dir = await TokenDir.create();
      await dir.write(token);
      return { dir, token };
    },
    ({ dir }) => dir.remove(),
  );
}

/** /status as served a second after the one cycle that produced `report`: a real Health records it, as serve-state does. */
export function statusAfter(report: Report, config: Config, audience = 'sts.amazonaws.com'): ReturnType<typeof buildStatus> {
  const health = new Health({ successThreshold: 1, failureThreshold: 3, staleAfterMs: 60_000, heartbeatTimeoutMs: 60_000, createdAt: 0 });
  health.record(report, 1_000);
  return buildStatus({ version: 'test', config, mechanism: detectMechanism(config.aws), audience, stsEndpoint: report.facts.stsEndpoint, health, now: () => 2_000 });
}
