/**
 * Reading the small files the probe depends on (tokens, kubeconfigs, CA
 * bundles, the shared AWS files) without ever blocking. A plain read of a FIFO
 * or a device blocks one of libuv's four thread-pool threads until a writer
 * comes; four such reads stop every file read in the process, and exit too
 * (exit waits for those threads). So every file is opened with O_NONBLOCK,
 * checked with fstat to be a regular file within a size limit, and read from
 * that descriptor: what is read is what was checked.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type SmallFileProblem = 'too_large' | 'empty' | 'not_regular';

export class SmallFileError extends Error {
  override name = 'SmallFileError';
  constructor(message: string, readonly code: SmallFileProblem) {
    super(message);
  }
}

export interface SmallFileOptions {
  /** The most bytes a legitimate file of this kind holds. */
  readonly maxBytes: number;
  /** How messages name the file, path included: "KUBECONFIG=/path", "the token file /path". */
  readonly what: string;
}

/**
 * Opens without blocking. A kubelet volume update swaps `..data` to a new
 * directory and then removes the old one, so an open whose path walk followed
 * the old link just before the removal fails with ENOENT although the file is
 * there: one retry tells that from a file that is really missing.
 */
async function openNonBlocking(path: string): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  try {
    return await open(path, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return open(path, flags);
  }
}

/** Opens without blocking and refuses anything but a regular file within the limit; the caller closes the handle. */
export async function openSmallFile(path: string, { maxBytes, what }: SmallFileOptions): Promise<{ handle: FileHandle; size: number; mtimeMs: number }> {
  const handle = await openNonBlocking(path);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new SmallFileError(`${what} is not a regular file (a FIFO or device there would block the read or never end it): point it at a regular file`, 'not_regular');
    }
    if (info.size > maxBytes) {
      throw new SmallFileError(`${what} is ${info.size} bytes, more than the ${maxBytes} such a file holds (limit ${maxBytes}): point it at the right file`, 'too_large');
    }
    return { handle, size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The file's text (UTF-8). Reads at most maxBytes + 1 bytes, so a file that
 * grows past the limit while being read is refused without reading it whole.
 */
export async function readSmallFile(path: string, options: SmallFileOptions): Promise<{ text: string; mtimeMs: number }> {
  const { handle, mtimeMs } = await openSmallFile(path, options);
  try {
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) {
        throw new SmallFileError(`${options.what} grew past ${options.maxBytes} bytes while being read (limit ${options.maxBytes})`, 'too_large');
      }
    }
    return { text: buffer.subarray(0, total).toString('utf8'), mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Whether the file can be read safely: absent (ENOENT) passes; a file that is not a small regular file throws SmallFileError. */
export async function checkSmallFile(path: string, options: SmallFileOptions): Promise<void> {
  let opened;
  try {
    opened = await openSmallFile(path, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await opened.handle.close();
}
