import { create } from '@bufbuild/protobuf';
import type { BackendInstance } from '../backend/backend.ts';
import type { Clock } from '../clock.ts';
import { ModelDynamicBatchingSchema } from '../config/gen/model_config_pb.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { DynamicBatcher } from './dynamic-batcher.ts';

export interface InstanceSchedulerOptions {
  instances: BackendInstance[];
  clock: Clock;
  stats: ModelStats;
  /** Merge queued requests into batches up to this many elements (0 or 1 = no batching). */
  maxBatchSize: number;
}

/**
 * Hands queued requests to idle instances, merging whatever is queued when an instance frees up
 * (requests with equal non-batch shapes, up to `maxBatchSize`): the dynamic batcher with
 * `dynamic_batching { }` defaults, or Triton's default scheduler when `maxBatchSize` ≤ 1.
 */
export class InstanceScheduler extends DynamicBatcher {
  constructor(opts: InstanceSchedulerOptions) {
    super({ ...opts, batching: opts.maxBatchSize > 1 ? create(ModelDynamicBatchingSchema) : undefined });
  }
}
