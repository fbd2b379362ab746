import type { BackendInstance } from '../backend/backend.ts';
import type { Clock } from '../clock.ts';
import type { DynamicBatchingSpec, QueuePolicySpec } from '../config/model-spec.ts';
import { unavailable } from '../errors.ts';
import { requestPrefix } from '../model/validate-request.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { Alarm, cancelledError, SchedulerBase, stoppingError } from './base.ts';
import { executeBatch } from './executor.ts';
import { Deque, type Queued } from './queued.ts';
import type { ScheduledResult, ScheduleItem } from './scheduler.ts';

export interface DynamicBatcherOptions {
  instances: BackendInstance[];
  clock: Clock;
  stats: ModelStats;
  /** Largest batch in elements; 0 or 1 disables merging. */
  maxBatchSize: number;
  /** The `dynamic_batching` config; undefined gives Triton's default scheduler (no policies, no merging). */
  batching?: DynamicBatchingSpec;
  /** Inputs with allow_ragged_batch: their shapes need not match within a batch. */
  raggedInputs?: ReadonlySet<string>;
}

interface Level {
  policy: QueuePolicySpec;
  items: Deque<Queued>;
  /** Requests whose timeout expired under the DELAY action: served after the level's others. */
  delayed: Deque<Queued>;
}

type Decision = { batch: Queued[] } | { waitUntil: number } | undefined;

/**
 * Triton's dynamic batcher: priority levels with queue policies (size limit, timeouts with
 * REJECT/DELAY), batches formed from compatible requests up to max_batch_size honouring
 * preferred_batch_size and max_queue_delay_microseconds, optional preserve_ordering.
 * Time comes from the injected clock, so tests drive it deterministically.
 */
export class DynamicBatcher extends SchedulerBase {
  private readonly opts: DynamicBatcherOptions;
  private readonly idle: BackendInstance[];
  private readonly levels: Level[] = [];
  private readonly defaultLevel: number;
  private readonly preferred: Set<number>;
  private readonly largestPreferred: number;
  private readonly delayMs: number;
  private readonly alarm: Alarm;
  private nextDeadline = Infinity;
  private arrivals = 0;
  /** preserve_ordering: arrival numbers settled so far, and results waiting for earlier ones. */
  private released = 0;
  private readonly held = new Map<number, () => void>();

  constructor(opts: DynamicBatcherOptions) {
    super(opts.clock, opts.stats);
    this.opts = opts;
    this.alarm = new Alarm(opts.clock, () => this.pump());
    this.idle = [...opts.instances].reverse();
    const db = opts.batching;
    const policies = db?.policies ?? [{ timeoutUs: 0, allowOverride: false, delay: false, maxQueueSize: 0 }];
    for (const policy of policies) this.levels.push({ policy, items: new Deque(), delayed: new Deque() });
    this.defaultLevel = db?.defaultLevel ?? 0;
    const max = Math.max(1, opts.maxBatchSize);
    const pref = db?.preferredBatchSizes.filter((p) => p > 0 && p <= max) ?? [];
    this.preferred = new Set(pref.length > 0 ? pref : [max]);
    this.largestPreferred = Math.max(...this.preferred);
    this.delayMs = (db?.maxQueueDelayUs ?? 0) / 1000;
  }

  enqueue(item: ScheduleItem): Promise<ScheduledResult> {
    if (this.stopping) return Promise.reject(stoppingError(item.id));
    const levelIndex = item.priority !== undefined && item.priority >= 1 && item.priority <= this.levels.length ? item.priority - 1 : this.defaultLevel;
    const level = this.levels[levelIndex]!;
    const { policy } = level;
    if (policy.maxQueueSize > 0 && level.items.length + level.delayed.length >= policy.maxQueueSize) {
      return Promise.reject(unavailable(`${requestPrefix(item.id)}Exceeds maximum queue size`));
    }
    return new Promise((resolve, reject) => {
      const now = this.opts.clock.now();
      const q: Queued = { item, enqueuedAt: now, done: false, resolve, reject, deadline: Infinity };
      let timeoutUs = policy.timeoutUs;
      if (policy.allowOverride && item.timeoutUs && timeoutUs > 0 && item.timeoutUs < timeoutUs) timeoutUs = item.timeoutUs;
      if (timeoutUs > 0) {
        q.deadline = now + timeoutUs / 1000;
        this.nextDeadline = Math.min(this.nextDeadline, q.deadline);
      }
      if (this.opts.batching?.preserveOrdering) q.seq = this.arrivals++;
      const signal = item.signal;
      if (signal?.aborted) {
        this.settle(q, { error: cancelledError(item.id) });
        return;
      }
      level.items.push(q);
      this.enterQueue();
      this.pump();
      // Only a request that has to wait listens for its client going away.
      if (!q.done) this.onCancel(signal, () => this.cancel(q));
    });
  }

  protected override stopped(): void {
    this.alarm.cancel();
  }

  private cancel(q: Queued): void {
    if (q.done) return;
    q.done = true;
    // It stays in its level's queue, skipped as done, until the queue's head passes it.
    this.dropFromQueue();
    this.settle(q, { error: cancelledError(q.item.id) });
    this.pump();
  }

  private pump(): void {
    const now = this.opts.clock.now();
    if (now >= this.nextDeadline) this.expire(now);
    while (this.idle.length > 0 && this.queued > 0) {
      const d = this.decide(now);
      if (!d) break;
      if ('waitUntil' in d) {
        this.alarm.set(d.waitUntil);
        break;
      }
      void this.run(this.idle.pop()!, d.batch);
    }
    if (this.nextDeadline < Infinity && this.queued > 0) this.alarm.set(this.nextDeadline);
    this.checkDrained();
  }

  /** Applies queue timeouts: REJECT fails the request, DELAY moves it behind its level's others. */
  private expire(now: number): void {
    let next = Infinity;
    for (const level of this.levels) {
      const keep = (q: Queued) => {
        if (q.done) return false;
        if ((q.deadline ?? Infinity) > now) {
          next = Math.min(next, q.deadline ?? Infinity);
          return true;
        }
        if (level.policy.delay) {
          q.deadline = Infinity;
          level.delayed.push(q);
        } else {
          q.done = true;
          this.dropFromQueue();
          this.settle(q, { error: unavailable(`${requestPrefix(q.item.id)}Request timeout expired`) });
        }
        return false;
      };
      level.items.filter(keep);
    }
    this.nextDeadline = next;
  }

  /** The first waiting request in priority order (levels, then each level's delayed ones). */
  private firstQueued(): Queued | undefined {
    for (const level of this.levels) {
      for (const q of level.items) if (!q.done) return q;
      for (const q of level.delayed) if (!q.done) return q;
    }
    return undefined;
  }

  /** Visits waiting requests in priority order while `visit` returns true. */
  private visitQueued(visit: (q: Queued) => boolean): void {
    for (const level of this.levels) {
      for (const q of level.items) if (!q.done && !visit(q)) return;
      for (const q of level.delayed) if (!q.done && !visit(q)) return;
    }
  }

  /** Batch formation (Triton's GetDynamicBatch): what to run now, or when to look again. */
  private decide(now: number): Decision {
    const max = Math.max(1, this.opts.maxBatchSize);
    if (this.opts.batching === undefined || max <= 1) {
      const first = this.firstQueued();
      return first ? { batch: this.take([first]) } : undefined;
    }
    const batch: Queued[] = [];
    let size = 0;
    let preferredPrefix = 0;
    let canGrow = true;
    let oldest = Infinity;
    const ragged = this.opts.raggedInputs;
    this.visitQueued((q) => {
      if (batch.length > 0 && !sameShapes(batch[0]!, q, ragged)) return (canGrow = false);
      if (size + q.item.batchSize > max) return (canGrow = false);
      if (preferredPrefix === 0 && size > 0 && size + q.item.batchSize > this.largestPreferred) {
        preferredPrefix = batch.length;
        return (canGrow = false);
      }
      batch.push(q);
      size += q.item.batchSize;
      if (q.enqueuedAt < oldest) oldest = q.enqueuedAt;
      if (this.preferred.has(size)) preferredPrefix = batch.length;
      return true;
    });
    if (batch.length === 0) return undefined;
    const waited = now - oldest;
    if (preferredPrefix > 0 && (this.delayMs === 0 || waited < this.delayMs))
      return { batch: this.take(preferredPrefix < batch.length ? batch.slice(0, preferredPrefix) : batch) };
    if (!canGrow || size >= this.largestPreferred || this.delayMs === 0 || waited >= this.delayMs) return { batch: this.take(batch) };
    return { waitUntil: oldest + this.delayMs };
  }

  private take(batch: Queued[]): Queued[] {
    for (const q of batch) q.done = true;
    for (const level of this.levels) {
      while (level.items.peek()?.done) level.items.shift();
      while (level.delayed.peek()?.done) level.delayed.shift();
    }
    this.startRunning(batch.length);
    return batch;
  }

  private async run(instance: BackendInstance, batch: Queued[]): Promise<void> {
    await executeBatch(instance, batch, { clock: this.opts.clock, stats: this.opts.stats, settle: (q, o) => this.settle(q, o) });
    this.finishRunning(batch.length);
    this.idle.push(instance);
    this.pump();
  }

  /** Settles a request; with preserve_ordering, only after every earlier arrival has settled. */
  private settle(q: Queued, o: { result?: ScheduledResult; error?: Error }): void {
    const fire = () => (o.error ? q.reject(o.error) : q.resolve(o.result!));
    if (q.seq === undefined) {
      fire();
      return;
    }
    this.held.set(q.seq, fire);
    while (this.held.has(this.released)) {
      const f = this.held.get(this.released)!;
      this.held.delete(this.released++);
      f();
    }
  }
}

/** Requests batch together only when their non-ragged inputs have equal shapes past the batch dimension. */
function sameShapes(a: Queued, b: Queued, ragged: ReadonlySet<string> | undefined): boolean {
  const ai = a.item.exec.inputs;
  const bi = b.item.exec.inputs;
  if (ai.size !== bi.size) return false;
  for (const [name, t] of ai) {
    if (ragged?.has(name)) continue;
    const u = bi.get(name);
    if (!u || u.shape.length !== t.shape.length) return false;
    for (let d = 1; d < t.shape.length; d++) if (u.shape[d] !== t.shape[d]) return false;
  }
  return true;
}
