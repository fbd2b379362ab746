/**
 * Messages to write on a stream, pushed by whoever has one ready and read by the RPC's output
 * iterator in push order. `close` ends the stream once what was pushed is read; `fail` ends it
 * with an error at once (what was not read yet is dropped).
 */
export class WriteQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake?: () => void;
  private closed = false;
  private error?: unknown;

  push(item: T): void {
    if (this.closed || this.error !== undefined) return;
    this.items.push(item);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  fail(error: unknown): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.items.length = 0;
    this.wake?.();
  }

  get ended(): boolean {
    return this.closed || this.error !== undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/** A request's place in the response order: fill it with its message, or give it up. */
export interface Slot<T> {
  fill(value: T): void;
  /** The request writes out of order (a decoupled model): later requests need not wait for it. */
  release(): void;
}

/**
 * Keeps responses in request order: each request takes a slot when it arrives, and a slot's
 * message is written once every earlier slot's was (a later request that finishes first waits).
 */
export class InOrder<T> {
  private readonly slots: { value?: T; done: boolean; empty?: boolean }[] = [];
  private readonly write: (value: T) => void;

  constructor(write: (value: T) => void) {
    this.write = write;
  }

  /** A slot for the next request. */
  reserve(): Slot<T> {
    const slot: { value?: T; done: boolean; empty?: boolean } = { done: false };
    this.slots.push(slot);
    const settle = () => {
      while (this.slots[0]?.done) {
        const head = this.slots.shift()!;
        if (!head.empty) this.write(head.value as T);
      }
    };
    return {
      fill: (value) => {
        if (slot.done) return;
        Object.assign(slot, { value, done: true });
        settle();
      },
      release: () => {
        if (slot.done) return;
        Object.assign(slot, { done: true, empty: true });
        settle();
      },
    };
  }
}
