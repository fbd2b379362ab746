import type { Clock } from '../clock.ts';
import { serverError, unavailable } from '../errors.ts';
import { requestPrefix } from '../model/validate-request.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import type { CancelSignal } from '../types.ts';
import type { ScheduledResult, ScheduleItem, Scheduler } from './scheduler.ts';

export const stoppingError = (id: string | undefined): Error =>
  unavailable(`${requestPrefix(id)}Server is stopping, scheduler for model has stopped accepting new inference requests`);

export const cancelledError = (id: string | undefined): Error => serverError('CANCELLED', `${requestPrefix(id)}request cancelled`);

/** One timer on the clock that fires at the earliest time asked of it. */
export class Alarm {
  private readonly clock: Clock;
  private readonly fire: () => void;
  private timer: unknown;
  private at = Infinity;

  constructor(clock: Clock, fire: () => void) {
    this.clock = clock;
    this.fire = fire;
  }

  /** Fires at `time` unless it is already set to fire earlier. */
  set(time: number): void {
    if (time >= this.at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.at = time;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.at = Infinity;
        this.fire();
      },
      Math.max(0, time - this.clock.now()),
    );
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}

/**
 * What every scheduler shares: admission while running, stop and drain, cancellation when a
 * client goes away, and the pending-request accounting of the model's statistics (changed only
 * here). A request is counted from the moment it is queued until it has run or left the queue.
 */
export abstract class SchedulerBase implements Scheduler {
  protected readonly clock: Clock;
  protected readonly stats: ModelStats | undefined;
  protected stopping = false;
  private waiting = 0;
  private executing = 0;
  private readonly drained: (() => void)[] = [];

  constructor(clock: Clock, stats: ModelStats | undefined) {
    this.clock = clock;
    this.stats = stats;
  }

  abstract enqueue(item: ScheduleItem): Promise<ScheduledResult>;

  get pending(): number {
    return this.waiting + this.executing;
  }

  /** Requests waiting in a queue. */
  protected get queued(): number {
    return this.waiting;
  }

  /** Stops accepting requests; resolves when every accepted request has finished. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pending > 0) await new Promise<void>((r) => this.drained.push(r));
    this.stopped();
  }

  /** Called once the scheduler has drained after `stop()` (timers to cancel). */
  protected stopped(): void {}

  /** `n` requests entered a queue. */
  protected enterQueue(n = 1): void {
    this.waiting += n;
    if (this.stats) this.stats.pending += n;
  }

  /** `n` requests left a queue without running (cancelled, timed out, failed as a group). */
  protected dropFromQueue(n = 1): void {
    this.waiting -= n;
    if (this.stats) this.stats.pending -= n;
    this.checkDrained();
  }

  /** `n` queued requests were taken to run. */
  protected startRunning(n: number): void {
    this.waiting -= n;
    this.executing += n;
  }

  /** `n` running requests finished. */
  protected finishRunning(n: number): void {
    this.executing -= n;
    if (this.stats) this.stats.pending -= n;
    this.checkDrained();
  }

  /** Runs `onAbort` once if the client goes away (listens only when called: for requests that wait). */
  protected onCancel(signal: CancelSignal | undefined, onAbort: () => void): void {
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  }

  protected checkDrained(): void {
    if (this.stopping && this.pending === 0) for (const r of this.drained.splice(0)) r();
  }
}
