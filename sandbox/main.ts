#!/usr/bin/env node
/**
 * `npm run sandbox -- --scenario NAME --env-file PATH [--token-lifetime 86400s] [--dir DIR]`
 *
 * Starts the whole world on 127.0.0.1 ephemeral ports, writes the env file,
 * prints exactly one line when ready, and runs until SIGTERM/SIGINT.
 * Exit codes: 0 after a clean stop, 1 if the world failed to start, 2 for bad flags.
 */
import { HELP, parseCli } from './cli.js';
import { startWorld, type WorldOptions } from './world.js';

async function main(): Promise<void> {
  let options: WorldOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`sandbox: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  let world;
  try {
    world = await startWorld(options);
  } catch (error) {
    process.stderr.write(`sandbox: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const stop = async (): Promise<void> => {
    await world.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdout.write(`sandbox ready: scenario=${world.scenario} env-file=${world.envFile} admin=${world.adminUrl}\n`);
}

await main();
