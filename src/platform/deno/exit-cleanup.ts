import type { RepositoryDriver } from '../../core/index.ts';

/** The one Deno API this file needs (src/types/deno.d.ts types the rest). */
declare const Deno: { removeSync(path: string, options?: { recursive?: boolean }): void };

const pending = new Set<string>();

function removePending(): void {
  for (const dir of pending) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  }
  pending.clear();
}

/**
 * Removes `dir` when the program ends (the event loop running dry or `Deno.exit()`: Deno's
 * `unload` event), for private temporary directories such as a server's override stores when
 * the process exits without `server.stop()`. Returns a function to call once the directory has
 * been removed the ordinary way.
 */
export function removeAtExit(dir: string): () => void {
  if (pending.size === 0) globalThis.addEventListener('unload', removePending);
  pending.add(dir);
  return () => {
    pending.delete(dir);
    if (pending.size === 0) globalThis.removeEventListener('unload', removePending);
  };
}

/** `driver`, a store rooted at the private directory `root`, with `root` removed at exit unless the store removed it. */
export function removedAtExit(root: string, driver: RepositoryDriver): RepositoryDriver {
  const forget = removeAtExit(root);
  return {
    ...driver,
    async remove(path: string): Promise<void> {
      await driver.remove!(path);
      if (path === '') forget();
    },
  };
}
