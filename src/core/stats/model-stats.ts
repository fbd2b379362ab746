/** Count and total nanoseconds of one statistic (Triton's StatisticDuration). */
export interface Duration {
  count: number;
  ns: number;
}

export interface BatchStat {
  batch_size: number;
  compute_input: Duration;
  compute_infer: Duration;
  compute_output: Duration;
}

import { BATCH_BUCKETS, Histogram, LATENCY_BUCKETS } from './histogram.ts';

const zero = (): Duration => ({ count: 0, ns: 0 });

/** Statistics of one model version, in the statistics extension's shape. */
export class ModelStats {
  lastInference = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  readonly batches = new Map<number, BatchStat>();
  /** Requests queued or executing right now (nv_inference_pending_request_count). */
  pending = 0;
  /** End-to-end request latency in seconds, successes and failures. */
  readonly latency = new Histogram(LATENCY_BUCKETS);
  /** Elements per execution. */
  readonly batchSizes = new Histogram(BATCH_BUCKETS);

  /** One executed batch of `batchSize` elements. */
  recordExecution(batchSize: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount++;
    this.batchSizes.observe(batchSize);
    let b = this.batches.get(batchSize);
    if (!b) {
      b = { batch_size: batchSize, compute_input: zero(), compute_infer: zero(), compute_output: zero() };
      this.batches.set(batchSize, b);
    }
    add(b.compute_input, inputNs);
    add(b.compute_infer, inferNs);
    add(b.compute_output, outputNs);
  }

  /** One successful request of `batchSize` elements (inference_count counts elements). */
  recordSuccess(t: RequestTimes, batchSize: number, wallMs: number): void {
    this.inferenceCount += batchSize;
    this.lastInference = wallMs;
    this.latency.observe(t.totalNs / 1e9);
    add(this.success, t.totalNs);
    add(this.queue, t.queueNs);
    add(this.computeInput, t.inputNs);
    add(this.computeInfer, t.inferNs);
    add(this.computeOutput, t.outputNs);
  }

  recordFailure(totalNs: number): void {
    this.latency.observe(totalNs / 1e9);
    add(this.fail, totalNs);
  }

  toJson(name: string, version: string): Record<string, unknown> {
    return {
      name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: zero(),
        cache_miss: zero(),
      },
      response_stats: {},
      batch_stats: [...this.batches.values()]
        .sort((a, b) => a.batch_size - b.batch_size)
        .map((b) => ({
          batch_size: b.batch_size,
          compute_input: { ...b.compute_input },
          compute_infer: { ...b.compute_infer },
          compute_output: { ...b.compute_output },
        })),
      memory_usage: [],
    };
  }
}

export interface RequestTimes {
  totalNs: number;
  queueNs: number;
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

function add(d: Duration, ns: number): void {
  d.count++;
  d.ns += ns;
}
