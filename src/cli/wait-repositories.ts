import type { Logger } from '../core/index.ts';

/** How often a missing repository directory is looked for under MODEL_INIT_MODE=async. */
export const REPOSITORY_WAIT_MS = 500;

/**
 * KServe's model images (MODEL_INIT_MODE=async): the repository is a sidecar's directory reached
 * through a link that works only once the sidecar runs, so it may appear after the server starts.
 * Resolves true once every directory is there, false when `signal` aborts first.
 */
export async function waitForRepositories(dirs: string[], isDirectory: (dir: string) => boolean, log: Logger, signal: AbortSignal): Promise<boolean> {
  const missing = dirs.filter((d) => !isDirectory(d));
  if (missing.length === 0) return true;
  for (const d of missing) log.info(`model repository '${d}' is not there yet; waiting for it (MODEL_INIT_MODE=async)`);
  while (!signal.aborted) {
    await pause(REPOSITORY_WAIT_MS, signal);
    if (!signal.aborted && missing.every((d) => isDirectory(d))) {
      log.info(`model repository ${missing.map((d) => `'${d}'`).join(', ')} found; loading models`);
      return true;
    }
  }
  return false;
}

/** Resolves after `ms`, or at once when `signal` aborts (its listener removed either way). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
  });
}
