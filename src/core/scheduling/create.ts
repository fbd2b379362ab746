import type { BackendInstance } from '../backend/backend.ts';
import type { Clock } from '../clock.ts';
import { sequenceBatching } from '../config/accessors.ts';
import type { ModelSpec } from '../config/model-spec.ts';
import type { Logger } from '../log.ts';
import { SequenceBatcher } from './sequence-batcher.ts';
import type { StateSpec } from './sequence-controls.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { DynamicBatcher } from './dynamic-batcher.ts';
import type { Scheduler } from './scheduler.ts';

/** Triton's scheduler choice: sequence batcher, dynamic batcher, or the default scheduler. */
export function createScheduler(
  config: ModelConfig,
  spec: ModelSpec,
  instances: BackendInstance[],
  clock: Clock,
  stats: ModelStats,
  log: Logger,
  states: StateSpec[] = [],
): Scheduler {
  const sequence = sequenceBatching(config);
  if (sequence) return new SequenceBatcher({ config, sequence, instances, clock, stats, log, states });
  return new DynamicBatcher({ instances, clock, stats, maxBatchSize: spec.maxBatchSize, batching: spec.dynamicBatching, raggedInputs: spec.raggedInputs });
}
