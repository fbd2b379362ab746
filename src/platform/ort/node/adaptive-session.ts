import type { InferenceSession } from 'onnxruntime-common';

export interface AdaptiveOptions {
  /** Median run time (ms) on the JavaScript thread past which the session moves to its own thread. */
  thresholdMs: number;
  /** Runs averaged. */
  window: number;
  /** Called once when the move starts (for the log). */
  onMove?: (meanMs: number) => void;
  onMoveFailed?: (e: Error) => void;
}

type Feeds = Parameters<InferenceSession['run']>[0];

/**
 * A session that starts on the JavaScript thread and moves to its own thread once its runs turn out
 * to be long (the median of the last `window` runs past `thresholdMs`). onnxruntime-node computes synchronously on the thread that calls `run`: for a
 * model that takes microseconds, that is the cheapest place, but a model that takes milliseconds
 * would stall every other request for as long. The time measured is the synchronous part only: a
 * setImmediate queued just before onnxruntime's own one marks its start, and the promise's
 * continuation (a microtask right after onnxruntime's callback) marks its end.
 */
export function adaptiveSession(main: InferenceSession, toThread: () => Promise<InferenceSession>, opts: AdaptiveOptions): InferenceSession {
  let current = main;
  let moving = false;
  let released = false;
  let mainRuns = 0;
  let idleWaiters: (() => void)[] = [];
  let mainReleased: Promise<void> | undefined;
  /** Releases the main-thread session once no run is using it (once). */
  const releaseMain = () =>
    (mainReleased ??= (async () => {
      if (mainRuns > 0) await new Promise<void>((r) => idleWaiters.push(r));
      await main.release();
    })());
  const times: number[] = [];
  let sum = 0;

  const record = (ms: number) => {
    times.push(ms);
    sum += ms;
    if (times.length > opts.window) sum -= times.shift()!;
    // The median, not the mean: a few runs stretched by the OS preempting the thread on a busy
    // machine must not move a model of microseconds. Half the runs past the threshold put the mean
    // past half of it, so the sort is skipped while the mean stays below that.
    if (moving || times.length < opts.window || sum / times.length <= opts.thresholdMs / 2) return;
    const typical = median(times);
    if (typical <= opts.thresholdMs) return;
    moving = true;
    opts.onMove?.(typical);
    toThread()
      .then(async (thread) => {
        if (released) return void (await thread.release());
        current = thread;
        await releaseMain();
      })
      .catch((e: Error) => opts.onMoveFailed?.(e));
  };

  const session = {
    async run(feeds: Feeds, fetches?: readonly string[]) {
      const s = current;
      if (s !== main) return fetches ? s.run(feeds, fetches) : s.run(feeds);
      mainRuns++;
      let start = 0;
      setImmediate(() => (start = performance.now()));
      try {
        const out = await (fetches ? s.run(feeds, fetches) : s.run(feeds));
        if (start > 0) record(performance.now() - start);
        return out;
      } finally {
        if (--mainRuns === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    },
    async release() {
      released = true;
      if (current !== main) await current.release();
      await releaseMain();
    },
  };
  return session as unknown as InferenceSession;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
