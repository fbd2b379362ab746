import type { ScheduledResult, ScheduleItem } from './scheduler.ts';

/** A request waiting in (or taken from) a scheduler queue. */
export interface Queued {
  item: ScheduleItem;
  enqueuedAt: number;
  /** Taken for execution, cancelled or timed out: no longer in any queue. */
  done: boolean;
  resolve(r: ScheduledResult): void;
  reject(e: Error): void;
  /** Absolute clock time when its queue timeout expires (Infinity = none). */
  deadline?: number;
  /** Arrival number, for preserve_ordering. */
  seq?: number;
}

/** A FIFO with O(1) push and shift that compacts itself. */
export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  /** Keeps only the items `keep` accepts (order preserved). */
  filter(keep: (v: T) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }
}
