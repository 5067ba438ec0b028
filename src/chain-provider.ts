/**
 * The SDK's default credential chain, as the application gets it, with the
 * guards the SDK lacks:
 *
 * - An abort path. The SDK memoises the chain's pending promise, and its HTTP
 *   request timeout only logs a warning by default, so one hung request would
 *   hang every later call. A call that is aborted (the check's timeout) drops
 *   the memoised provider; the next call builds a fresh one. The inner STS
 *   client also gets throwOnRequestTimeout, so the hung socket is destroyed.
 * - No blocking read. The SDK reads the web identity token with readFileSync,
 *   which a FIFO or a device in place of the file would block forever, event
 *   loop and all. Before each call the token files are opened here as
 *   small-file.ts opens them (O_NONBLOCK, a regular file within the token's
 *   size limit, one retry past a kubelet ..data swap), and the SDK is given
 *   /proc/self/fd/N of that open file (through a getter, read at the moment the
 *   SDK reads): the inode it reads is the one checked, whatever is swapped in
 *   at the path meanwhile. Where /proc/self/fd does not exist (not Linux) the
 *   SDK gets the checked path, and a swap between the check and its read
 *   remains possible. The shared config and credentials files the SDK reads
 *   (fromIni, and the region and profile settings) are checked the same way
 *   before each call: when one exists and is not a small regular file, the SDK
 *   chain is not called at all and the call fails naming the file.
 */
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CappedHttpHandler } from './capped-handler.js';
import type { Credentials } from './checks/context.js';
import { showValue } from './redact.js';
import { openSmallFile } from './small-file.js';
import { MAX_TOKEN_BYTES } from './token-file.js';

export interface ChainOptions {
  readonly region: string;
  readonly timeoutMs: number;
  readonly webIdentityTokenFile?: string;
  readonly containerAuthorizationTokenFile?: string;
  /** Rejects when a shared AWS file the SDK would read exists and is not a small regular file. */
  readonly checkSharedFiles?: () => Promise<void>;
}

/** Given to the SDK after a call: fails at once, never blocks, never names a reused descriptor. */
const CLOSED = '/proc/self/fd/-1';
const PROC_FD = existsSync('/proc/self/fd');

type Provider = () => Promise<Credentials>;

export class ChainProvider {
  private provider: Provider | undefined;
  private pinned: { webIdentity?: string; authorization?: string } = {};

  constructor(private readonly options: ChainOptions) {}

  async resolve(signal: AbortSignal): Promise<Credentials> {
    signal.throwIfAborted();
    await this.options.checkSharedFiles?.();
    const handles = await this.pinFiles();
    const provider = (this.provider ??= await this.create());
    try {
      return await abortable(provider(), signal);
    } catch (error) {
      // A call that did not finish leaves the SDK's memoised promise pending: start afresh next time.
      if (signal.aborted && this.provider === provider) this.provider = undefined;
      throw error;
    } finally {
      this.pinned = { webIdentity: CLOSED, authorization: CLOSED };
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    }
  }

  private async create(): Promise<Provider> {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const handler = new CappedHttpHandler('STS', { connectionTimeout: this.options.timeoutMs, requestTimeout: this.options.timeoutMs, throwOnRequestTimeout: true });
    const pinned = () => this.pinned;
    const init = {
      // The application's SDK passes its own region to the inner STS client; so does the probe.
      clientConfig: { region: this.options.region, requestHandler: handler },
      timeout: this.options.timeoutMs,
      maxRetries: 1,
      // Read by the SDK each time it reads the file (fromTokenFile, fromHttp).
      get webIdentityTokenFile() {
        return pinned().webIdentity;
      },
      get awsContainerAuthorizationTokenFile() {
        return pinned().authorization;
      },
    };
    return defaultProvider(init as Parameters<typeof defaultProvider>[0]) as Provider;
  }

  /** Opens each configured token file without blocking; refuses anything but a small regular file. */
  private async pinFiles(): Promise<FileHandle[]> {
    const handles: FileHandle[] = [];
    try {
      const webIdentity = await this.pin(this.options.webIdentityTokenFile, handles);
      const authorization = await this.pin(this.options.containerAuthorizationTokenFile, handles);
      this.pinned = { webIdentity, authorization };
      return handles;
    } catch (error) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      throw error;
    }
  }

  private async pin(path: string | undefined, handles: FileHandle[]): Promise<string | undefined> {
    if (path === undefined || path === '') return undefined;
    // small-file's rules: no blocking open, a regular file within the token's size, one retry past a ..data swap.
    const { handle } = await openSmallFile(path, { maxBytes: MAX_TOKEN_BYTES, what: `the token file ${showValue(path)}` });
    handles.push(handle);
    return PROC_FD ? `/proc/self/fd/${handle.fd}` : path;
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The work has started all the same: its late rejection must not go unhandled (that ends the process).
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
