import { dynamicBatching, protocolType, sequenceBatching } from './accessors.ts';
import { type ModelConfig, type ModelDynamicBatching, type ModelQueuePolicy, ModelQueuePolicy_TimeoutAction } from './gen/model_config_pb.ts';
import type { DataType } from '../types.ts';

/** A configured input or output in plain numbers. */
export interface TensorSpecN {
  name: string;
  datatype: DataType;
  /** Config dims (without the batch dimension). */
  dims: number[];
  /** `reshape`: the shape the model itself sees (without the batch dimension). */
  reshape?: number[];
  /** The shape clients see: [-1, ...dims] for batching models. */
  clientShape: number[];
  optional: boolean;
  ragged: boolean;
}

export interface QueuePolicySpec {
  timeoutUs: number;
  allowOverride: boolean;
  /** Timeout action DELAY (else REJECT). */
  delay: boolean;
  maxQueueSize: number;
}

export interface DynamicBatchingSpec {
  preferredBatchSizes: number[];
  maxQueueDelayUs: number;
  preserveOrdering: boolean;
  /** Priority levels (at least 1); level i (1-based) uses `policies[i - 1]`. */
  policies: QueuePolicySpec[];
  /** 0-based index of the default level. */
  defaultLevel: number;
}

/**
 * What the request path and the schedulers read of a loaded model's config, normalised once at
 * load into plain numbers and maps (the protobuf keeps int64 fields as bigint).
 */
export interface ModelSpec {
  name: string;
  maxBatchSize: number;
  /** max_batch_size > 0: tensors carry a leading batch dimension. */
  batching: boolean;
  inputs: ReadonlyMap<string, TensorSpecN>;
  outputs: ReadonlyMap<string, TensorSpecN>;
  /** Names of the inputs a request must send. */
  required: string[];
  /** Inputs whose dims may differ within a batch (allow_ragged_batch). */
  raggedInputs: ReadonlySet<string>;
  dynamicBatching?: DynamicBatchingSpec;
  /** Sequence batcher idle time before a sequence is reaped. */
  sequenceIdleUs?: number;
}

const num = (v: bigint | number | undefined): number => Number(v ?? 0);

function tensorSpec(maxBatchSize: number, t: ModelConfig['input'][number] | ModelConfig['output'][number]): TensorSpecN {
  const dims = t.dims.map(Number);
  const spec: TensorSpecN = {
    name: t.name,
    datatype: protocolType(t.dataType) ?? 'BYTES',
    dims,
    clientShape: maxBatchSize > 0 ? [-1, ...dims] : dims,
    optional: 'optional' in t ? t.optional : false,
    ragged: 'allowRaggedBatch' in t ? t.allowRaggedBatch : false,
  };
  if (t.reshape) spec.reshape = t.reshape.shape.map(Number);
  return spec;
}

function queuePolicy(p: ModelQueuePolicy | undefined): QueuePolicySpec {
  return {
    timeoutUs: num(p?.defaultTimeoutMicroseconds),
    allowOverride: p?.allowTimeoutOverride ?? false,
    delay: p?.timeoutAction === ModelQueuePolicy_TimeoutAction.DELAY,
    maxQueueSize: p?.maxQueueSize ?? 0,
  };
}

/** `dynamic_batching` in plain numbers: one queue policy per priority level. */
export function dynamicBatchingSpec(db: ModelDynamicBatching): DynamicBatchingSpec {
  const levels = Math.max(1, num(db.priorityLevels));
  const policies: QueuePolicySpec[] = [];
  for (let level = 1; level <= levels; level++) policies.push(queuePolicy(db.priorityQueuePolicy[String(level)] ?? db.defaultQueuePolicy));
  return {
    preferredBatchSizes: [...db.preferredBatchSize],
    maxQueueDelayUs: num(db.maxQueueDelayMicroseconds),
    preserveOrdering: db.preserveOrdering,
    policies,
    defaultLevel: Math.min(levels, Math.max(1, num(db.defaultPriorityLevel))) - 1,
  };
}

/** Normalises a completed, validated config. */
export function modelSpec(config: ModelConfig): ModelSpec {
  const mbs = config.maxBatchSize;
  const inputs = new Map(config.input.map((i) => [i.name, tensorSpec(mbs, i)]));
  const spec: ModelSpec = {
    name: config.name,
    maxBatchSize: mbs,
    batching: mbs > 0,
    inputs,
    outputs: new Map(config.output.map((o) => [o.name, tensorSpec(mbs, o)])),
    required: [...inputs.values()].filter((i) => !i.optional).map((i) => i.name),
    raggedInputs: new Set([...inputs.values()].filter((i) => i.ragged).map((i) => i.name)),
  };
  const db = dynamicBatching(config);
  if (db) spec.dynamicBatching = dynamicBatchingSpec(db);
  const sb = sequenceBatching(config);
  if (sb) spec.sequenceIdleUs = num(sb.maxSequenceIdleMicroseconds) || 1_000_000;
  return spec;
}
