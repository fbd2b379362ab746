import type { BackendInstance } from '../backend/backend.ts';
import { type Clock, elapsedNs } from '../clock.ts';
import { serverError, toServerError, unavailable } from '../errors.ts';
import { requestPrefix } from '../model/validate-request.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { unionOutputs } from './batch.ts';
import type { ScheduledResult, ScheduleItem, Scheduler } from './scheduler.ts';

interface Queued {
  item: ScheduleItem;
  enqueuedAt: number;
  done: boolean;
  resolve(r: ScheduledResult): void;
  reject(e: Error): void;
}

export interface InstanceSchedulerOptions {
  instances: BackendInstance[];
  clock: Clock;
  stats: ModelStats;
  /** Merge queued requests into batches up to this many elements (0 or 1 = no batching). */
  maxBatchSize: number;
}

/**
 * Hands queued requests to idle instances. With `maxBatchSize` > 1 it groups whatever is queued
 * when an instance frees up (requests with equal non-batch shapes, up to the max batch size), as
 * Triton's dynamic batcher does with its default settings.
 */
export class InstanceScheduler implements Scheduler {
  private readonly idle: BackendInstance[];
  private queue: Queued[] = [];
  private head = 0;
  private running = 0;
  private stopping = false;
  private readonly drained: (() => void)[] = [];

  private readonly opts: InstanceSchedulerOptions;

  constructor(opts: InstanceSchedulerOptions) {
    this.opts = opts;
    this.idle = [...opts.instances].reverse();
  }

  get pending(): number {
    return this.queue.length - this.head + this.running;
  }

  enqueue(item: ScheduleItem): Promise<ScheduledResult> {
    if (this.stopping) {
      return Promise.reject(unavailable(`${requestPrefix(item.id)}Server is stopping, scheduler for model has stopped accepting new inference requests`));
    }
    return new Promise((resolve, reject) => {
      const q: Queued = { item, enqueuedAt: this.opts.clock.now(), done: false, resolve, reject };
      const signal = item.signal;
      if (signal) {
        if (signal.aborted) return reject(serverError('CANCELLED', `${requestPrefix(item.id)}request cancelled`));
        signal.addEventListener('abort', () => this.cancel(q), { once: true });
      }
      this.queue.push(q);
      this.opts.stats.pending++;
      this.pump();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pending === 0) return;
    await new Promise<void>((r) => this.drained.push(r));
  }

  private cancel(q: Queued): void {
    if (q.done) return;
    const i = this.queue.indexOf(q, this.head);
    if (i < 0) return; // already executing: let it finish
    q.done = true;
    this.queue.splice(i, 1);
    this.opts.stats.pending--;
    q.reject(serverError('CANCELLED', `${requestPrefix(q.item.id)}request cancelled`));
    this.checkDrained();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.head < this.queue.length) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      void this.run(this.idle.pop()!, batch);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private takeBatch(): Queued[] {
    const first = this.queue[this.head++]!;
    const batch = [first];
    if (this.opts.maxBatchSize <= 1) return batch;
    const key = shapeKey(first.item);
    let size = first.item.batchSize;
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      if (size + next.item.batchSize > this.opts.maxBatchSize || shapeKey(next.item) !== key) break;
      size += next.item.batchSize;
      batch.push(next);
      this.head++;
    }
    return batch;
  }

  private async run(instance: BackendInstance, batch: Queued[]): Promise<void> {
    const { clock, stats } = this.opts;
    this.running += batch.length;
    const start = clock.now();
    for (const q of batch) q.done = true;
    const requests = batch.map((q) => q.item.exec);
    if (batch.length > 1) {
      const outputs = unionOutputs(requests);
      for (const r of requests) r.outputs = outputs;
    }
    try {
      const outcome = await instance.execute(requests);
      const end = clock.now();
      const t = outcome.timing ?? { inputNs: 0, inferNs: elapsedNs(start, end), outputNs: 0 };
      const elements = batch.reduce((n, q) => n + q.item.batchSize, 0);
      stats.recordExecution(elements, t.inputNs, t.inferNs, t.outputNs);
      batch.forEach((q, i) => {
        const r = outcome.results[i];
        if (r === undefined) q.reject(serverError('INTERNAL', 'backend returned fewer results than requests'));
        else if (!('outputs' in r)) q.reject(toServerError(r));
        else q.resolve({ result: r, queueNs: elapsedNs(q.enqueuedAt, start), ...t });
      });
    } catch (e) {
      const err = toServerError(e);
      for (const q of batch) q.reject(err);
    } finally {
      this.running -= batch.length;
      stats.pending -= batch.length;
      this.idle.push(instance);
      this.pump();
      this.checkDrained();
    }
  }

  private checkDrained(): void {
    if (this.stopping && this.pending === 0) for (const r of this.drained.splice(0)) r();
  }
}

/** Requests batch together only when every input has the same non-batch dimensions. */
function shapeKey(item: ScheduleItem): string {
  let key = '';
  for (const [name, t] of item.exec.inputs) key += `${name}:${t.shape.slice(1).join(',')};`;
  return key;
}
