/** Test tokens: real RS256 JWTs shaped like projected service-account tokens, written like kubelet writes them. */
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';

export const ISSUER = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
export const SUBJECT = 'system:serviceaccount:payments:api';

let keyPromise: ReturnType<typeof generateKeyPair> | undefined;

export interface TokenOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  iat?: number;
  exp?: number;
  lifetimeS?: number;
  nowS?: number;
}

export async function mintToken(opts: TokenOptions = {}): Promise<string> {
  keyPromise ??= generateKeyPair('RS256');
  const { privateKey } = await keyPromise;
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  const iat = opts.iat ?? now;
  const exp = opts.exp ?? iat + (opts.lifetimeS ?? 86400);
  const sub = opts.sub ?? SUBJECT;
  const [, ns, sa] = sub.split(':').slice(1);
  return new SignJWT({ 'kubernetes.io': { namespace: ns, serviceaccount: { name: sa, uid: 'u-1' }, pod: { name: 'api-0', uid: 'p-1' } } })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(opts.iss ?? ISSUER)
    .setSubject(sub)
    .setAudience(opts.aud ?? 'sts.amazonaws.com')
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(privateKey);
}

/**
 * A JWT with these claims (and this header) whose signature nobody made: for a
 * test whose STS is faked or that only decodes, and for claims no signer would
 * accept (times outside a Date, hostile strings). jose makes unsecured JWTs only
 * with {"alg":"none"} and an empty signature, so the segments are encoded here.
 */
export function unsignedToken(claims: unknown, header: unknown = { alg: 'RS256' }, signature = 'c2lnbmF0dXJl'): string {
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment(header)}.${segment(claims)}.${signature}`;
}

/** A projected-volume directory: `..<timestamp>/token`, `..data` → it, `token` → `..data/token`. */
export class TokenDir {
  private generation = 0;
  private constructor(readonly dir: string) {}

  static async create(): Promise<TokenDir> {
    return new TokenDir(await mkdtemp(join(tmpdir(), 'irsa-probe-token-')));
  }

  get path(): string {
    return join(this.dir, 'token');
  }

  /** Writes a new generation and swaps `..data` atomically, as kubelet's AtomicWriter does. */
  async write(content: string): Promise<void> {
    this.generation += 1;
    const gen = `..gen_${this.generation}`;
    await mkdir(join(this.dir, gen));
    await writeFile(join(this.dir, gen, 'token'), content);
    await symlink(gen, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.generation === 1) await symlink('..data/token', this.path);
    else await rm(join(this.dir, `..gen_${this.generation - 1}`), { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
