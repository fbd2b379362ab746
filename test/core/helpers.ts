/** Shared helpers for the core unit tests (not a test file itself). */
import type { Clock } from '../../src/core/clock.ts';

export interface CaughtError {
  code: string;
  message: string;
}

/** Runs `fn`, which must throw, and returns the thrown error's code and message. */
export function caught(fn: () => unknown): CaughtError {
  try {
    fn();
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    return { code: String(err.code), message: String(err.message) };
  }
  throw new Error('expected the call to throw, but it returned normally');
}

/** Awaits `p`, which must reject, and returns the rejection's code and message. */
export async function rejected(p: Promise<unknown>): Promise<CaughtError> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    return { code: String(err.code), message: String(err.message) };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  t = 0;
  readonly wallBase: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  constructor(wallBase = 1_700_000_000_000) {
    this.wallBase = wallBase;
  }
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.wallBase + this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
  }
}

/** Lets pending promise callbacks (and the scheduler's follow-up work) run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
