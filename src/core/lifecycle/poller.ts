import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

/**
 * POLL mode's timer on the injected clock: one pass, then the next `intervalMs` after it finished,
 * so passes never overlap however long one takes. Returns a function that stops it.
 */
export function startPoller(poll: () => Promise<void>, clock: Clock, intervalMs: number, log?: Logger): () => void {
  let timer: unknown;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      poll()
        .catch((e: Error) => log?.error(`repository poll failed: ${e.message}`))
        .finally(schedule);
    }, intervalMs);
  };
  schedule();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
}
