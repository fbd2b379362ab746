import type { BackendInstance, ExecRequest } from '../backend/backend.ts';
import { type Clock, elapsedNs } from '../clock.ts';
import { serverError, toServerError } from '../errors.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { unionOutputs } from './batch.ts';
import type { Queued } from './queued.ts';
import type { ScheduledResult } from './scheduler.ts';

export interface ExecuteBatchOptions {
  clock: Clock;
  stats: ModelStats;
  /** Settles one request; schedulers that keep response order hook in here. */
  settle?: (q: Queued, outcome: { result?: ScheduledResult; error?: Error }) => void;
}

/**
 * Runs one batch on an instance and settles every request in it with its own result or error,
 * recording the execution in the model's statistics. `requests` may carry extra entries (e.g.
 * padding for empty sequence slots) after the real ones; their results are dropped.
 */
export async function executeBatch(
  instance: BackendInstance,
  batch: Queued[],
  opts: ExecuteBatchOptions,
  requests: ExecRequest[] = batch.map((q) => q.item.exec),
): Promise<void> {
  const { clock, stats } = opts;
  const settle = opts.settle ?? ((q, o) => (o.error ? q.reject(o.error) : q.resolve(o.result!)));
  const start = clock.now();
  if (requests.length > 1) {
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
      if (r === undefined) settle(q, { error: serverError('INTERNAL', 'backend returned fewer results than requests') });
      else if (!('outputs' in r)) settle(q, { error: toServerError(r) });
      else settle(q, { result: { result: r, queueNs: elapsedNs(q.enqueuedAt, start), ...t } });
    });
  } catch (e) {
    const err = toServerError(e);
    for (const q of batch) settle(q, { error: err });
  }
}
