import { invalidArg } from '../errors.ts';
import { dynamicBatching, ensembleScheduling } from './accessors.ts';
import {
  type ModelConfig,
  type ModelInput,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  type ModelOutput,
  ModelQueuePolicy_TimeoutAction,
} from './gen/model_config_pb.ts';

/**
 * Triton's ValidateModelConfig checks, with its messages. `checkIO` is false when auto-complete
 * is still to fill inputs and outputs.
 */
export function validateConfig(config: ModelConfig, opts: { gpuCount: number; checkIO?: boolean }): void {
  const m = config.name;
  if (m === '') throw invalidArg(`model configuration must specify 'name'`);
  if (config.platform === 'ensemble') {
    if (config.backend !== '') throw invalidArg(`unexpected 'platform' and 'backend' pair, got:${config.platform}, ${config.backend}`);
    if (!ensembleScheduling(config)) throw invalidArg(`ensemble scheduling must be set for ensemble ${m} whose platform is ensemble`);
    if (config.instanceGroup.length > 0) throw invalidArg(`instance group should not be specified for ensemble '${m}'`);
    if (config.modelWarmup.length > 0) throw invalidArg(`model_warmup can not be specified for ensemble '${m}'`);
  } else if (config.backend === '') {
    throw config.platform === ''
      ? invalidArg(`must specify 'platform' or 'backend' for '${m}'`)
      : invalidArg(`unexpected platform type '${config.platform}' for ${m}`);
  } else if (ensembleScheduling(config)) {
    throw invalidArg(`ensemble scheduling cannot be set for model '${m}' whose platform is not ensemble`);
  }
  if (config.maxBatchSize < 0) throw invalidArg(`'max_batch_size' must be non-negative value for ${m}`);
  if (opts.checkIO !== false) {
    for (const io of config.input) validateIO(config, io, 'input');
    for (const io of config.output) validateIO(config, io, 'output');
  }
  validateDynamicBatching(config);
  validateInstanceGroups(config, opts.gpuCount);
}

function validateIO(config: ModelConfig, io: ModelInput | ModelOutput, kind: 'input' | 'output'): void {
  const m = config.name;
  const what = `model ${kind}`;
  if (io.name === '') throw invalidArg(`${what} must specify 'name' for ${m}`);
  if (io.dataType === 0) throw invalidArg(`${what} '${io.name}' must specify 'data_type' for ${m}`);
  if (io.dims.length === 0) throw invalidArg(`${what} '${io.name}' must specify 'dims' for ${m}`);
  for (const d of io.dims) {
    if (d < 1n && d !== -1n) {
      throw invalidArg(`${what} '${io.name}' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for ${m}`);
    }
  }
  if (io.reshape) {
    if (io.reshape.shape.length === 0 && config.maxBatchSize === 0) {
      throw invalidArg(`${what} '${io.name}' cannot have empty reshape for non-batching model as scalar tensors are not supported for ${m}`);
    }
    for (const d of io.reshape.shape) {
      if (d < 1n && d !== -1n) {
        throw invalidArg(`${what} '${io.name}' reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension for ${m}`);
      }
    }
    const fixed = (ds: bigint[]) => ds.filter((d) => d > 0n).reduce((a, b) => a * b, 1n);
    const variable = (ds: bigint[]) => ds.filter((d) => d === -1n).length;
    if (fixed(io.dims) !== fixed(io.reshape.shape) || variable(io.dims) !== variable(io.reshape.shape)) {
      if (!(io.reshape.shape.length === 0 && fixed(io.dims) === 1n && variable(io.dims) === 0)) {
        throw invalidArg(`${what} '${io.name}' has different size for dims and reshape for ${m}`);
      }
    }
  }
  if (kind === 'input') {
    const f = (io as ModelInput).format;
    if ((f === ModelInput_Format.NHWC || f === ModelInput_Format.NCHW) && io.dims.length !== 3) {
      throw invalidArg(`model input '${io.name}' has format that requires exactly 3 dims for ${m}`);
    }
  }
}

function validateDynamicBatching(config: ModelConfig): void {
  const db = dynamicBatching(config);
  if (!db) return;
  const m = config.name;
  for (const p of db.preferredBatchSize) {
    if (p < 1) throw invalidArg(`dynamic batching preferred size must be positive for ${m}`);
    if (p > config.maxBatchSize) throw invalidArg(`dynamic batching preferred size must be <= max batch size for ${m}`);
  }
  const levels = db.priorityLevels;
  if (levels !== 0n) {
    if (db.defaultPriorityLevel < 1n || db.defaultPriorityLevel > levels) {
      throw invalidArg(`default priority level must be in range [1, ${levels}] for ${m}`);
    }
    for (const key of Object.keys(db.priorityQueuePolicy)) {
      const k = BigInt(key);
      if (k < 1n || k > levels) throw invalidArg(`priority queue policy must have priority level in range [1, ${levels}] for ${m}`);
    }
  }
  if (db.preserveOrdering) {
    if (levels > 1n) throw invalidArg(`Only one priority level is allowed when 'preserve_ordering' is true for ${m}`);
    const policies = [db.defaultQueuePolicy, ...Object.values(db.priorityQueuePolicy)];
    for (const p of policies) {
      if (p && p.timeoutAction === ModelQueuePolicy_TimeoutAction.DELAY && p.defaultTimeoutMicroseconds !== 0n) {
        throw invalidArg(`Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for ${m}`);
      }
    }
  }
}

function validateInstanceGroups(config: ModelConfig, gpuCount: number): void {
  for (const g of config.instanceGroup) {
    if (g.kind === ModelInstanceGroup_Kind.GPU) {
      // Without GPUs the execution backend falls back to CPU and logs why (Nereid runs anywhere).
      if (gpuCount === 0) continue;
      if (g.gpus.length === 0) throw invalidArg(`instance group ${g.name} of model ${config.name} has kind KIND_GPU but specifies no GPUs`);
      for (const id of g.gpus) {
        if (id < 0 || id >= gpuCount)
          throw invalidArg(
            `instance group ${g.name} of model ${config.name} specifies invalid or unsupported gpu id ${id}. GPUs with at least the minimum required CUDA compute compatibility are: ${Array.from({ length: gpuCount }, (_, i) => i).join(' ')}`,
          );
      }
    } else if (g.kind === ModelInstanceGroup_Kind.CPU && g.gpus.length > 0) {
      throw invalidArg(`instance group ${g.name} of model ${config.name} has kind KIND_CPU but specifies one or more GPUs`);
    }
  }
}
