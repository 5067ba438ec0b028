/**
 * Writing to stdout and stderr when whoever reads them is hostile or gone: a
 * closed pipe (`check | head -c 10`), a full disk (`> /dev/full`), a file size
 * limit (`ulimit -f`), a reader that never reads. Node reports a failed write
 * to a pipe as a later 'error' event, which with no listener ends the
 * process with a stack trace; and it drops whatever is still queued when the
 * process exits.
 */
import { fstatSync, writeSync } from 'node:fs';
import { describeDuration } from './duration.js';

/** How long `check` waits for a reader to take its report before it gives up. */
export const REPORT_WRITE_DEADLINE_MS = 10_000;

/**
 * A broken stdout or stderr never ends the process: `serve` keeps serving
 * without its log, `check` says so through its exit code (writeAll).
 */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes all of `text` to stdout. Resolves with why it could not (an errno
 * code such as EPIPE, ENOSPC or EFBIG, or the deadline), or undefined once
 * every byte is out. A regular file is written with a loop that goes on after
 * a short write (Node's own file stream ignores one, so a file size limit
 * would cut the report silently); anything else through the stream, waiting
 * at most `deadlineMs` for the reader.
 */
export async function writeAll(text: string, deadlineMs = REPORT_WRITE_DEADLINE_MS): Promise<string | undefined> {
  const bytes = Buffer.from(text);
  if (isRegularFile(1)) {
    try {
      for (let offset = 0; offset < bytes.length; ) {
        const written = writeSync(1, bytes, offset);
        if (written <= 0) return 'short write';
        offset += written;
      }
      return undefined;
    } catch (error) {
      return errorCode(error);
    }
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`not read within ${describeDuration(deadlineMs)}`), deadlineMs);
    process.stdout.write(bytes, (error) => {
      clearTimeout(timer);
      resolve(error ? errorCode(error) : undefined);
    });
  });
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? code : 'write failed';
}
