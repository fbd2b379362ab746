import type { RepositoryDriver } from '../core/index.ts';

/** What a runtime offers for removing directories when the program ends. */
export interface ExitHooks {
  /** Calls `fn` once when the program ends. */
  onExit(fn: () => void): void;
  /** Takes back `onExit(fn)`. */
  offExit(fn: () => void): void;
  /** Removes the directory `dir` and everything in it, synchronously; no error when it is gone. */
  removeDirSync(dir: string): void;
}

/**
 * Wraps drivers rooted at private temporary directories (a server's override stores) so that the
 * directory is removed when the program ends, also when it ends without `server.stop()`. The
 * returned function gives `driver` back with `root` removed at exit unless the store removed it
 * the ordinary way first.
 */
export function exitCleanup(hooks: ExitHooks): (root: string, driver: RepositoryDriver) => RepositoryDriver {
  const pending = new Set<string>();
  const removePending = (): void => {
    for (const dir of pending) hooks.removeDirSync(dir);
    pending.clear();
  };
  const removeAtExit = (dir: string): (() => void) => {
    if (pending.size === 0) hooks.onExit(removePending);
    pending.add(dir);
    return () => {
      pending.delete(dir);
      if (pending.size === 0) hooks.offExit(removePending);
    };
  };
  return (root, driver) => {
    const forget = removeAtExit(root);
    return {
      ...driver,
      async remove(path: string): Promise<void> {
        await driver.remove!(path);
        if (path === '') forget();
      },
    };
  };
}
