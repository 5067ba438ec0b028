/**
 * No setting, empty or hostile, makes the S3 check touch a key outside
 * `<prefix><pod name>`: the configuration either refuses the values (a
 * ConfigError) or yields a non-empty prefix and a key with no "." or ".."
 * segment; the check puts, reads and deletes that key and no other, and
 * deletes only what it wrote in the same cycle.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { s3Check } from '../../src/checks/s3.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError, DEFAULT_S3_PREFIX } from '../../src/settings.js';
import { contextFor, irsaEnv, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/probe.js';

const RUNS = { numRuns: 300 };
const credentials = { accessKeyId: 'ASIAROLEKEY', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN };
const piece = fc.oneof(fc.constantFrom('', '.', '..', '/', './', '../', 'a/../b', '/.', 'x/', ' ', '\n'), fc.string({ maxLength: 12 }));
const setting = fc.option(piece, { nil: undefined });

function envOf(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
}

describe('the S3 key under any setting', () => {
  test('is <non-empty prefix><pod name> without dot segments, or the configuration is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ IRSA_PROBE_S3_PREFIX: setting, IRSA_PROBE_POD_NAME: setting, POD_NAME: setting, HOSTNAME: setting }), fc.boolean(), async (values, putFails) => {
        const env = irsaEnv('/tmp/token', { IRSA_PROBE_S3_BUCKET: 'team-bucket' });
        delete env.IRSA_PROBE_POD_NAME;
        Object.assign(env, envOf(values));
        let config;
        try {
          config = loadConfig(['check'], env).config;
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          return;
        }
        const target = config.s3!;
        assert.notEqual(target.prefix, '', 'an empty prefix puts the object at the bucket root');
        if (values.IRSA_PROBE_S3_PREFIX === '') assert.equal(target.prefix, DEFAULT_S3_PREFIX);
        assert.equal(target.key, `${target.prefix}${config.podName}`);
        assert.ok(!target.key.split('/').some((s) => s === '.' || s === '..'), `key ${JSON.stringify(target.key)} has a dot segment`);

        const touched: string[] = [];
        let written = false;
        const ops = {
          put: async (_c: unknown, _b: string, key: string, body: Uint8Array) => {
            touched.push(`put ${key}`);
            if (putFails) throw Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
            written = true;
            void body;
          },
          get: async (_c: unknown, _b: string, key: string) => {
            touched.push(`get ${key}`);
            return new Uint8Array();
          },
          delete: async (_c: unknown, _b: string, key: string) => {
            assert.ok(written, 'deleted a key not written in this cycle');
            touched.push(`delete ${key}`);
          },
        };
        const ctx = contextFor(env, { state: { stsEndpoint: 'x', credentials }, deps: { s3: async () => ops } });
        await s3Check(ctx);
        assert.ok(touched.length > 0);
        for (const t of touched) assert.equal(t.slice(t.indexOf(' ') + 1), target.key, `touched ${t}`);
      }),
      RUNS,
    );
  });
});
