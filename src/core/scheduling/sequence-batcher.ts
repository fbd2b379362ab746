import type { BackendInstance, ExecRequest } from '../backend/backend.ts';
import type { Clock } from '../clock.ts';
import type { ModelConfig, ModelSequenceBatching } from '../config/gen/model_config_pb.ts';
import { invalidArg, unavailable, unsupported } from '../errors.ts';
import type { Logger } from '../log.ts';
import { requestPrefix } from '../model/validate-request.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import type { Tensor } from '../types.ts';
import { Alarm, cancelledError, SchedulerBase } from './base.ts';
import { executeBatch } from './executor.ts';
import { Deque, type Queued } from './queued.ts';
import type { ScheduledResult, ScheduleItem } from './scheduler.ts';
import { type ControlSpec, controlSpecs, controlTensors, type CorrelationId, initialState, type StateSpec } from './sequence-controls.ts';

export interface SequenceBatcherOptions {
  config: ModelConfig;
  sequence: ModelSequenceBatching;
  instances: BackendInstance[];
  clock: Clock;
  stats: ModelStats;
  log: Logger;
  /** State specs with initial_state data already read. */
  states: StateSpec[];
}

interface SeqRequest extends Queued {
  start: boolean;
  end: boolean;
}

/** One sequence (correlation id) between its START and its END (or reaping). */
interface Sequence {
  id: CorrelationId;
  key: string;
  queue: Deque<SeqRequest>;
  inFlight: boolean;
  lastActivity: number;
  slot?: Slot;
  /** END was enqueued or the sequence was reaped: the id no longer maps here. */
  detached: boolean;
  /** Implicit state carried from one request to the next. */
  state: Map<string, Tensor>;
  /** Backlog timeout (schedule-policy `timeout`), absolute clock time. */
  expiry: number;
}

interface Slot {
  /** Instance index (direct strategy), or -1 for a candidate slot (oldest strategy). */
  instance: number;
  index: number;
  seq?: Sequence;
}

const MAX_STRING_ID = 128;

/**
 * Triton's sequence batcher. Each sequence (correlation id) owns a slot from START to END:
 * its requests run in order and never concurrently, with the control tensors (START, END,
 * READY, CORRID) and implicit state filled in. Sequences beyond the free slots wait in a FIFO
 * backlog; idle sequences are reaped after max_sequence_idle_microseconds.
 */
export class SequenceBatcher extends SchedulerBase {
  private readonly opts: SequenceBatcherOptions;
  private readonly model: string;
  private readonly batching: boolean;
  private readonly controls: ControlSpec[];
  private readonly slots: Slot[] = [];
  private readonly idle = new Set<number>();
  private readonly active = new Map<string, Sequence>();
  private backlog: Sequence[] = [];
  private readonly oldest: boolean;
  private readonly maxPerBatch: number;
  private readonly idleMs: number;
  private readonly reaper: Alarm;

  constructor(opts: SequenceBatcherOptions) {
    super(opts.clock, opts.stats);
    this.opts = opts;
    this.reaper = new Alarm(opts.clock, () => {
      this.reap(opts.clock.now());
      this.pump();
    });
    const { config, sequence } = opts;
    this.model = config.name;
    this.batching = config.maxBatchSize > 0;
    this.controls = controlSpecs(config, sequence);
    this.oldest = sequence.strategyChoice.case === 'oldest';
    const perInstance = Math.max(1, config.maxBatchSize);
    this.maxPerBatch = perInstance;
    opts.instances.forEach((_, i) => this.idle.add(i));
    if (this.oldest) {
      const max = sequence.strategyChoice.case === 'oldest' ? sequence.strategyChoice.value.maxCandidateSequences : 0;
      const candidates = max > 0 ? max : perInstance * opts.instances.length;
      for (let s = 0; s < candidates; s++) this.slots.push({ instance: -1, index: s });
    } else {
      for (let s = 0; s < perInstance; s++) for (let i = 0; i < opts.instances.length; i++) this.slots.push({ instance: i, index: s });
    }
    this.idleMs = (Number(sequence.maxSequenceIdleMicroseconds) || 1_000_000) / 1000;
  }

  enqueue(item: ScheduleItem): Promise<ScheduledResult> {
    const fail = (e: Error) => Promise.reject(e);
    const m = this.model;
    if (item.batchSize > 1) return fail(invalidArg(`inference request to model '${m}' must specify batch-size 1 due to requirements of sequence batcher`));
    const id = item.sequence?.id ?? 0;
    if (id === 0 || id === '' || id === 0n) return fail(invalidArg(`inference request to model '${m}' must specify a non-zero or non-empty correlation ID`));
    if (typeof id === 'string' && id.length > MAX_STRING_ID)
      return fail(unsupported(`string correlation ID cannot be longer than ${MAX_STRING_ID} characters`));
    const start = item.sequence?.start ?? false;
    const end = item.sequence?.end ?? false;
    if (this.stopping && start) return fail(unavailable('Server is stopping, scheduler for model has stopped accepting new inference requests'));
    const key = typeof id === 'string' ? `s:${id}` : `n:${id}`;
    let seq = this.active.get(key);
    if (!start && !seq) {
      return fail(invalidArg(`inference request for sequence ${id} to model '${m}' must specify the START flag on the first request of the sequence`));
    }
    try {
      controlTensors(this.controls, { start, end, corrId: id }, this.batching, m);
    } catch (e) {
      return fail(e as Error);
    }
    const now = this.opts.clock.now();
    if (start && seq) {
      this.opts.log.warn(
        `sequence ${id} for model '${m}' has a conflict. The previous sequence did not end before this sequence start. Previous sequence will be terminated early.`,
      );
    }
    if (!seq) {
      seq = { id, key, queue: new Deque(), inFlight: false, lastActivity: now, detached: false, state: new Map(), expiry: Infinity };
      this.active.set(key, seq);
      const free = this.freeSlot();
      if (free) this.assign(free, seq);
      else {
        if (item.timeoutUs) seq.expiry = now + item.timeoutUs / 1000;
        this.backlog.push(seq);
      }
    }
    const target = seq;
    target.lastActivity = now;
    if (end) {
      this.active.delete(key);
      target.detached = true;
    }
    return new Promise((resolve, reject) => {
      const q: SeqRequest = { item, enqueuedAt: now, done: false, resolve, reject, start, end };
      if (item.signal?.aborted) return reject(cancelledError(item.id));
      target.queue.push(q);
      this.enterQueue();
      this.pump();
      // Only a request that has to wait listens for its client going away.
      if (!q.done) this.onCancel(item.signal, () => this.cancel(target, q));
    });
  }

  protected override stopped(): void {
    this.reaper.cancel();
  }

  /**
   * A waiting request whose client went away leaves its sequence's queue; a sequence that has
   * ended (or was reaped) and has nothing left gives its slot back.
   */
  private cancel(seq: Sequence, q: SeqRequest): void {
    if (q.done) return;
    q.done = true;
    seq.queue.filter((x) => x !== q);
    this.dropFromQueue();
    q.reject(cancelledError(q.item.id));
    if (seq.detached && seq.queue.length === 0 && !seq.inFlight && seq.slot) {
      const slot = seq.slot;
      seq.slot = undefined;
      this.release(slot);
    }
    this.pump();
  }

  /** Lowest free slot index first, so new sequences spread over instances before doubling up. */
  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (!s.seq && (!best || s.index < best.index)) best = s;
    return best;
  }

  private assign(slot: Slot, seq: Sequence): void {
    slot.seq = seq;
    seq.slot = slot;
  }

  private release(slot: Slot): void {
    slot.seq = undefined;
    while (this.backlog.length > 0) {
      const next = this.backlog.shift()!;
      if (next.queue.length === 0 && next.detached) continue;
      this.assign(slot, next);
      return;
    }
  }

  private pump(): void {
    const now = this.opts.clock.now();
    this.expireBacklog(now);
    for (const i of [...this.idle]) {
      const batch = this.takeBatch(i);
      if (batch.length === 0) continue;
      this.idle.delete(i);
      void this.run(i, batch);
    }
    this.scheduleReaper();
    this.checkDrained();
  }

  /** At most one request per slot, from sequences with nothing in flight and equal input shapes. */
  private takeBatch(instance: number): { seq: Sequence; q: SeqRequest }[] {
    const ready: { seq: Sequence; q: SeqRequest }[] = [];
    for (const slot of this.slots) {
      if (slot.instance !== -1 && slot.instance !== instance) continue;
      const seq = slot.seq;
      if (!seq || seq.inFlight || seq.queue.length === 0) continue;
      ready.push({ seq, q: seq.queue.peek()! });
    }
    if (this.oldest) ready.sort((a, b) => a.q.enqueuedAt - b.q.enqueuedAt);
    const batch: { seq: Sequence; q: SeqRequest }[] = [];
    let key: string | undefined;
    for (const r of ready) {
      if (batch.length >= this.maxPerBatch) break;
      const k = shapeKey(r.q);
      if (key !== undefined && k !== key) continue;
      key = k;
      batch.push(r);
    }
    for (const { seq, q } of batch) {
      seq.queue.shift();
      seq.inFlight = true;
      q.done = true;
    }
    this.startRunning(batch.length);
    return batch;
  }

  private async run(instance: number, batch: { seq: Sequence; q: SeqRequest }[]): Promise<void> {
    const requests = batch.map(({ seq, q }) => this.execRequest(seq, q));
    await executeBatch(
      this.opts.instances[instance]!,
      batch.map((b) => b.q),
      {
        clock: this.opts.clock,
        stats: this.opts.stats,
        settle: (q, o) => {
          const entry = batch.find((b) => b.q === q)!;
          if (o.result)
            for (const s of this.opts.states) {
              const t = o.result.result.outputs.get(s.output);
              // Kept apart from what the client gets back: a response's buffers may move to another thread.
              if (t) entry.seq.state.set(s.input, entry.q.item.exec.outputs.includes(s.output) ? copyTensor(t) : t);
            }
          if (o.error) q.reject(o.error);
          else q.resolve(o.result!);
        },
      },
      requests,
    );
    this.finishRunning(batch.length);
    for (const { seq, q } of batch) {
      seq.inFlight = false;
      if ((q.end || seq.detached) && seq.queue.length === 0 && seq.slot) {
        const slot = seq.slot;
        seq.slot = undefined;
        this.release(slot);
      }
    }
    this.idle.add(instance);
    this.pump();
  }

  /** The request as the model sees it: client inputs plus control tensors and implicit state. */
  private execRequest(seq: Sequence, q: SeqRequest): ExecRequest {
    const inputs = new Map(q.item.exec.inputs);
    for (const [name, t] of controlTensors(this.controls, { start: q.start, end: q.end, corrId: seq.id }, this.batching, this.model)) inputs.set(name, t);
    if (q.start) seq.state.clear();
    for (const s of this.opts.states) inputs.set(s.input, seq.state.get(s.input) ?? initialState(s, this.batching));
    const outputs = [...q.item.exec.outputs];
    for (const s of this.opts.states) if (!outputs.includes(s.output)) outputs.push(s.output);
    return { inputs, outputs, parameters: q.item.exec.parameters };
  }

  /** Sequences still waiting for a slot when their `timeout` passes fail as a whole. */
  private expireBacklog(now: number): void {
    if (!this.backlog.some((s) => s.expiry <= now)) return;
    this.backlog = this.backlog.filter((seq) => {
      if (seq.expiry > now) return true;
      if (this.active.get(seq.key) === seq) this.active.delete(seq.key);
      let q: SeqRequest | undefined;
      while ((q = seq.queue.shift())) {
        q.done = true;
        this.dropFromQueue();
        q.reject(unavailable(`${requestPrefix(q.item.id)}timeout of the corresponding sequence has been expired`));
      }
      return false;
    });
  }

  /** Reaps sequences idle longer than max_sequence_idle_microseconds; wakes for backlog timeouts. */
  private scheduleReaper(): void {
    let next = Infinity;
    for (const seq of this.active.values()) next = Math.min(next, seq.lastActivity + this.idleMs);
    for (const seq of this.backlog) next = Math.min(next, seq.expiry);
    if (next < Infinity) this.reaper.set(next);
  }

  private reap(now: number): void {
    for (const seq of [...this.active.values()]) {
      if (now - seq.lastActivity < this.idleMs) continue;
      if (!seq.slot && seq.queue.length > 0) continue; // waiting in the backlog: not idle by its own doing
      this.active.delete(seq.key);
      seq.detached = true;
      this.opts.log.verbose(1, `sequence ${seq.id} for model '${this.model}' reaped after ${this.idleMs} ms idle`);
      if (seq.slot && !seq.inFlight && seq.queue.length === 0) {
        const slot = seq.slot;
        seq.slot = undefined;
        this.release(slot);
      } else if (!seq.slot) {
        this.backlog = this.backlog.filter((s) => s !== seq);
      }
    }
  }
}

function shapeKey(q: Queued): string {
  let key = '';
  for (const [name, t] of q.item.exec.inputs) key += `${name}:${t.shape.slice(1).join(',')};`;
  return key;
}

/** A tensor with its own copy of the data. */
function copyTensor(t: Tensor): Tensor {
  return { ...t, data: Array.isArray(t.data) ? t.data.map((b) => b.slice()) : t.data.slice() };
}
