import { rmSync } from 'node:fs';
import type { RepositoryDriver } from '../../core/index.ts';

const pending = new Set<string>();

function removePending(): void {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
  pending.clear();
}

/**
 * Removes `dir` when the process exits (process.exit, the event loop running dry, an uncaught
 * exception), for private temporary directories whose owner may not get to remove them itself,
 * such as a server's override stores when the process exits without `server.stop()`. Returns a
 * function to call once the directory has been removed the ordinary way.
 */
export function removeAtExit(dir: string): () => void {
  if (pending.size === 0) process.once('exit', removePending);
  pending.add(dir);
  return () => {
    pending.delete(dir);
    if (pending.size === 0) process.off('exit', removePending);
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
