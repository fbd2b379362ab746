import { exitCleanup } from '../exit-cleanup.ts';

/** The one Deno API this file needs (src/types/deno.d.ts types the rest). */
declare const Deno: { removeSync(path: string, options?: { recursive?: boolean }): void };

/**
 * `removedAtExit(root, driver)`: `driver` with its private directory `root` removed when the
 * program ends (the event loop running dry or `Deno.exit()`: Deno's `unload` event).
 */
export const removedAtExit = exitCleanup({
  onExit: (fn) => globalThis.addEventListener('unload', fn),
  offExit: (fn) => globalThis.removeEventListener('unload', fn),
  removeDirSync: (dir) => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  },
});
