import type { ExecRequest, ExecResult } from '../backend/backend.ts';
import type { CancelSignal, SequenceFlags } from '../types.ts';

/** A request on its way to an instance, with what the scheduler needs to group it. */
export interface ScheduleItem {
  exec: ExecRequest;
  /** Batch elements this request carries (1 for non-batching models). */
  batchSize: number;
  id?: string;
  signal?: CancelSignal;
  /** Request `priority` parameter (dynamic batcher). */
  priority?: number;
  /** Request `timeout` parameter in microseconds (dynamic batcher). */
  timeoutUs?: number;
  /** Sequence parameters (sequence batcher). */
  sequence?: SequenceFlags;
}

export interface ScheduledResult {
  result: ExecResult;
  queueNs: number;
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

/** Triton's scheduler contract: requests in, one result (or error) per request out. */
export interface Scheduler {
  enqueue(item: ScheduleItem): Promise<ScheduledResult>;
  /** Requests waiting or executing. */
  readonly pending: number;
  /** Stops accepting requests; resolves when everything accepted has finished. */
  stop(): Promise<void>;
}
