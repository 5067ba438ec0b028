#!/usr/bin/env node
/**
 * irsa-probe: `serve` (default) runs the probe as a sidecar; `check` runs one
 * cycle and exits 0 (all checks passed), 1 (a check failed), 2 (usage or
 * configuration error) or 3 (the report could not be written to stdout).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { usage, UsageError } from './cli-args.js';
import { loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { renderText } from './report.js';
import { ConfigError } from './settings.js';
import { readVersion } from './version.js';
import { buildProbe } from './build-probe.js';
import { guardStdio, writeAll } from './stdio.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;
/** `check` ran, but its report did not reach stdout whole: the outcome is unknown to whoever reads it. */
export const EXIT_OUTPUT = 3;
/** How long shutdown may take before the process exits regardless. */
export const SHUTDOWN_GRACE_MS = 1500;
/** How long an exit waits for file reads in flight before it ends the process by SIGKILL. */
const EXIT_WAIT_MS = 300;

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`irsa-probe: ${error.message}\n`);
      if (error instanceof UsageError) process.stderr.write('Run irsa-probe --help for the settings.\n');
      return EXIT_USAGE;
    }
    throw error;
  }
  const { config, warnings } = loaded;
  const version = readVersion();
  switch (config.command) {
    case 'help':
      process.stdout.write(usage());
      return EXIT_OK;
    case 'version':
      process.stdout.write(`irsa-probe ${version}\n`);
      return EXIT_OK;
    case 'check':
      return check(config, warnings);
    case 'serve':
      return serve(config, warnings, version);
  }
}

async function check(config: Config, warnings: readonly string[]): Promise<number> {
  const log = createLogger(config.logLevel, (line) => process.stderr.write(line));
  for (const w of warnings) log.warn(w);
  const { probe } = buildProbe(config);
  const report = await probe.run(new AbortController().signal);
  // Written whole before the exit, or said why not: process.exit would drop what a slow reader has not taken yet.
  const unwritten = await writeAll(config.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  if (unwritten !== undefined) {
    log.error('the report could not be written to stdout', { why: unwritten, exitCode: EXIT_OUTPUT, checksPassed: report.ok });
    return EXIT_OUTPUT;
  }
  return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

async function serve(config: Config, warnings: readonly string[], version: string): Promise<number> {
  const log = createLogger(config.logLevel);
  for (const w of warnings) log.warn(w);
  // Loaded here, not at the top: `check` needs none of express, prom-client or the scheduler.
  const [{ createServeState }, { Scheduler }] = await Promise.all([import('./serve-state.js'), import('./scheduler.js')]);
  const state = createServeState(config, { version, log });
  const scheduler = new Scheduler((signal) => state.probe.run(signal), {
    intervalMs: config.intervalMs,
    cycleBudgetMs: config.cycleBudgetMs,
    onReport: (report) => state.record(report),
    onBeat: (now) => state.beat(now),
  });
  // The first cycle starts before the HTTP server is loaded: loading express
  // overlaps the cycle's STS round trips, so the pod is ready sooner.
  scheduler.start();
  let listening: Awaited<ReturnType<typeof import('./server.js')['listen']>>;
  try {
    const { createApp, listen } = await import('./server.js');
    const app = createApp({ health: state.health, metrics: state.metrics, status: config.statusEnabled ? () => state.status() : undefined });
    listening = await listen(app, config.host, config.port);
  } catch (error) {
    log.error('cannot listen', { error: (error as Error).message });
    await scheduler.stop();
    return EXIT_USAGE;
  }
  log.info('started', { version, mechanism: state.mechanism.mechanism, url: listening.url, port: listening.port, intervalMs: config.intervalMs });
  const signal = await waitForSignal();
  log.info('stopping', { signal });
  const forced = setTimeout(() => {
    log.warn('shutdown took too long; exiting');
    exitProcess(EXIT_OK, (message) => log.warn(message));
  }, SHUTDOWN_GRACE_MS);
  forced.unref();
  await Promise.all([scheduler.stop(), listening.close()]);
  clearTimeout(forced);
  log.info('stopped');
  return EXIT_OK;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (name: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(name);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * Ends the process with `code`. process.exit waits for libuv's thread pool,
 * and a read stuck there (a FIFO or device opened by a library with a plain
 * read) would hold it for good: an exit that still sees a file read in flight
 * after EXIT_WAIT_MS ends the process by SIGKILL instead (exit status 137).
 */
export function exitProcess(code: number, warn: (message: string) => void): void {
  const reading = () => process.getActiveResourcesInfo().some((name) => name.startsWith('FSReq'));
  const started = Date.now();
  const attempt = () => {
    if (!reading()) process.exit(code);
    if (Date.now() - started < EXIT_WAIT_MS) return;
    warn('a file read is still blocked (a FIFO or device in place of a file?): ending the process with SIGKILL');
    process.kill(process.pid, 'SIGKILL');
  };
  attempt();
  setInterval(attempt, 20);
}

export function reportFatal(log: Pick<Logger, 'error'>, error: unknown): void {
  log.error('fatal', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}

const isEntry = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  guardStdio();
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
      // SDK keep-alive sockets and timers must not hold a finished one-shot run, nor a read stuck in the thread pool.
      setTimeout(() => exitProcess(code, (message) => process.stderr.write(`irsa-probe: ${message}\n`)), 50).unref();
    },
    (error: unknown) => {
      reportFatal(createLogger('error', (line) => process.stderr.write(line)), error);
      exitProcess(EXIT_USAGE, (message) => process.stderr.write(`irsa-probe: ${message}\n`));
    },
  );
}
