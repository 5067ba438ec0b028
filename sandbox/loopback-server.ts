/**
 * What every emulator with its own listener shares: one HTTP(S) server on
 * 127.0.0.1 at an ephemeral port, its URL, a refuse fault that closes the
 * listener and later reopens it on the same port (so the env file stays
 * right), and a close that drops open connections too (hung requests included).
 */
import type { Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { closeServer, listen, LOOPBACK } from './http-util.js';

export abstract class LoopbackServer {
  private port = 0;
  private closed = false;

  /** `server` has its request handler attached by the subclass; it listens once start() calls listen(). */
  protected constructor(protected readonly server: Server) {}

  /** Binds the ephemeral port; the emulator's start() ends with it. */
  protected async listen(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  /** `127.0.0.1:PORT`, as a Host header names the server. */
  get host(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  get url(): string {
    return `${this.server instanceof HttpsServer ? 'https' : 'http'}://${this.host}`;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /**
   * Refuses connections (closes the listener), or listens again on the same
   * port; never after close(). The port is free while refusing, so another
   * process may take it: listening again then fails with an error naming the
   * port and `fault` (the knob that closed it), and a later call may retry.
   */
  async setRefusing(refuse: boolean, fault = 'refuse'): Promise<void> {
    if (refuse && this.server.listening) await closeServer(this.server);
    if (!refuse && !this.server.listening && !this.closed) {
      try {
        await listen(this.server, this.port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        throw new Error(`cannot clear the ${fault} fault: ${this.host} was taken by another listener while it refused connections (EADDRINUSE); the emulator stays closed until the fault is cleared again with the port free`);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeServer(this.server);
  }
}
