/**
 * A projected service-account token volume, written the way kubelet's
 * AtomicWriter does it:
 *
 *   <volume>/..2026_11_28_13_00_00.123456789/token   the payload, in a timestamped directory
 *   <volume>/..data -> ..2026_11_28_13_00_00.123456789   swapped atomically (symlink ..data_tmp, rename over ..data)
 *   <volume>/token -> ..data/token                  created once
 *
 * and the previous timestamped directory removed. Readers that open `token`
 * always see a whole file, old or new. Rotation happens at 80% of the token's
 * life, as kubelet does.
 */
import { randomInt } from 'node:crypto';
import { mkdir, readlink, rename, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';

export const DATA_LINK = '..data';
const DATA_TMP_LINK = '..data_tmp';
/** kubelet refreshes a projected token once 80% of its life has passed. */
export const ROTATE_AT = 0.8;
/** setTimeout's ceiling; longer rotations are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `..2026_11_28_13_00_00.123456789`: UTC time and 9 random digits, like kubelet's TempDir. */
export function timestampedDirName(now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${p(randomInt(0, 1_000_000_000), 9)}`;
}

/** Writes `files` into `volumeDir` atomically (kubelet's AtomicWriter). */
export async function atomicWrite(volumeDir: string, files: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(volumeDir, { recursive: true, mode: 0o755 });
  const previous = await readlink(join(volumeDir, DATA_LINK)).catch(() => undefined);
  const tsDir = await makeTimestampedDir(volumeDir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(volumeDir, tsDir, name), content, { mode: 0o644 });
  }
  const tmpLink = join(volumeDir, DATA_TMP_LINK);
  await rm(tmpLink, { force: true });
  await symlink(tsDir, tmpLink);
  await rename(tmpLink, join(volumeDir, DATA_LINK));
  for (const name of Object.keys(files)) {
    const userLink = join(volumeDir, name);
    const exists = await lstat(userLink).then(() => true, () => false);
    if (!exists) await symlink(join(DATA_LINK, name), userLink);
  }
  if (previous !== undefined && previous !== tsDir) await rm(join(volumeDir, previous), { recursive: true, force: true });
}

async function makeTimestampedDir(volumeDir: string): Promise<string> {
  for (;;) {
    const name = timestampedDirName();
    try {
      await mkdir(join(volumeDir, name), { mode: 0o755 });
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

export interface ProjectionOptions {
  readonly volumeDir: string;
  readonly fileName: string;
  /**
   * Produces the file's next content and when to refresh it (epoch ms): for a
   * token, at 80% of its life counted from its `iat`, as kubelet does.
   */
  readonly produce: () => Promise<{ content: string; refreshAtMs: number }>;
  readonly onWrite?: () => void;
  readonly onError?: (error: unknown) => void;
}

/** One projected token file, refreshed when its producer says (80% of the token's life) while rotation runs. */

/** When kubelet refreshes a token issued at `iatSeconds` that lives `lifetimeSeconds`. */
export function refreshAt(iatSeconds: number, lifetimeSeconds: number): number {
  return (iatSeconds + ROTATE_AT * lifetimeSeconds) * 1000;
}

export class Projection {
  private timer: NodeJS.Timeout | undefined;
  private rotating = false;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ProjectionOptions) {}

  get path(): string {
    return join(this.options.volumeDir, this.options.fileName);
  }

  /** Writes the file now, then keeps it fresh if rotation is on. Serialised: writes never interleave. */
  refresh(): Promise<void> {
    const next = this.writing.then(() => this.writeOnce());
    this.writing = next.catch(() => undefined);
    return next;
  }

  setRotation(on: boolean): void {
    this.rotating = on;
    if (!on) this.clearTimer();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async writeOnce(): Promise<void> {
    if (this.stopped) return;
    this.clearTimer();
    const { content, refreshAtMs } = await this.options.produce();
    await atomicWrite(this.options.volumeDir, { [this.options.fileName]: content });
    this.options.onWrite?.();
    if (this.rotating) this.arm(Math.max(0, refreshAtMs - Date.now()));
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    const wait = Math.min(ms, MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (wait < ms) return this.arm(ms - wait);
      this.refresh().catch((error: unknown) => this.options.onError?.(error));
    }, wait);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
