import { rmSync } from 'node:fs';
import { exitCleanup } from '../exit-cleanup.ts';

/**
 * `removedAtExit(root, driver)`: `driver` with its private directory `root` removed when the
 * process exits (process.exit, the event loop running dry, an uncaught exception).
 */
export const removedAtExit = exitCleanup({
  onExit: (fn) => process.once('exit', fn),
  offExit: (fn) => process.off('exit', fn),
  removeDirSync: (dir) => rmSync(dir, { recursive: true, force: true }),
});
