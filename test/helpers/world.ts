/**
 * One sandbox world shared by the tests of a describe block. Kept apart from
 * process.ts so unit tests can use it without that module's bundle check.
 */
import { after, before, beforeEach } from 'node:test';
import { startWorld, type World, type WorldOptions } from '../../sandbox/world.js';

export interface SuiteWorldOptions {
  /** Passed to startWorld as is. */
  readonly world?: WorldOptions;
  /**
   * Before each test, back to the healthy scenario with no faults: for suites
   * whose tests switch scenarios or inject faults, so none leaks into the next.
   */
  readonly healthyEachTest?: boolean;
}

/**
 * Registers, in the calling describe block, a before hook that starts one world
 * and hands it to `use` (hooks run later, so a test file keeps its own
 * `let world: World` and assigns it there), and an after hook that stops it.
 * The stop tolerates a world that never started: when before() failed, that
 * failure is the one to report, not a second one from after().
 */
export function worldPerSuite(use: (world: World) => void, options: SuiteWorldOptions = {}): void {
  let world: World | undefined;
  before(async () => {
    world = await startWorld(options.world);
    use(world);
  });
  after(async () => {
    await world?.stop();
  });
  if (options.healthyEachTest) {
    beforeEach(async () => {
      await world!.setScenario('healthy');
      await world!.resetFaults();
    });
  }
}
