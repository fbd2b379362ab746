import { create } from '@bufbuild/protobuf';
import { invalidArg } from '../errors.ts';
import type { DataType } from '../types.ts';
import { configType, dynamicBatching, sequenceBatching } from './accessors.ts';
import {
  type ModelConfig,
  ModelDynamicBatchingSchema,
  ModelInputSchema,
  ModelInstanceGroup_Kind,
  ModelInstanceGroupSchema,
  ModelOptimizationPolicy_PinnedMemoryBufferSchema,
  ModelOptimizationPolicySchema,
  ModelOutputSchema,
  ModelSequenceBatching_StrategyDirectSchema,
  ModelTensorReshapeSchema,
  ModelVersionPolicy_LatestSchema,
  ModelVersionPolicySchema,
} from './gen/model_config_pb.ts';

/** Triton's default sequence idle time when the config leaves it 0. */
export const SEQUENCE_IDLE_DEFAULT_US = 1_000_000n;
export const DEFAULT_MAX_BATCH_SIZE = 4;

interface BackendRule {
  platform?: string;
  file: string;
  backend: string;
  setPlatform: string;
}

/** Backend detection (Triton's AutoCompleteBackendFields), plus Nereid's JavaScript backend. */
const RULES: BackendRule[] = [
  { platform: 'tensorflow_savedmodel', file: 'model.savedmodel', backend: 'tensorflow', setPlatform: 'tensorflow_savedmodel' },
  { platform: 'tensorflow_graphdef', file: 'model.graphdef', backend: 'tensorflow', setPlatform: 'tensorflow_graphdef' },
  { platform: 'tensorrt_plan', file: 'model.plan', backend: 'tensorrt', setPlatform: 'tensorrt_plan' },
  { platform: 'onnxruntime_onnx', file: 'model.onnx', backend: 'onnxruntime', setPlatform: 'onnxruntime_onnx' },
  { file: 'model.xml', backend: 'openvino', setPlatform: '' },
  { platform: 'pytorch_libtorch', file: 'model.pt', backend: 'pytorch', setPlatform: 'pytorch_libtorch' },
  { platform: 'torch_aoti', file: 'model.pt2', backend: 'pytorch', setPlatform: 'torch_aoti' },
  { file: 'model.py', backend: 'python', setPlatform: '' },
  { file: 'model.js', backend: 'js', setPlatform: '' },
];

/**
 * Fills name, backend, platform and default_model_filename. `firstVersionFiles` lists the entries
 * of the lexically first version directory. Applied even when auto-complete is disabled.
 */
export function completeBackendFields(config: ModelConfig, modelName: string, firstVersionFiles: readonly string[]): void {
  if (config.name === '') config.name = modelName;
  else if (config.name !== modelName) {
    throw invalidArg(`unexpected directory name '${modelName}' for model '${config.name}', directory name must equal model name`);
  }
  if (config.platform === 'ensemble') return;
  const rule =
    config.backend !== ''
      ? RULES.find((r) => r.backend === config.backend)
      : config.platform !== ''
        ? RULES.find((r) => r.platform === config.platform || (config.platform === 'libtorch' && r.backend === 'pytorch'))
        : RULES.find((r) => firstVersionFiles.includes(r.file));
  if (rule) {
    if (config.backend === '') config.backend = rule.backend;
    if (config.platform === '') config.platform = rule.setPlatform;
    if (config.defaultModelFilename === '') config.defaultModelFilename = rule.file;
    return;
  }
  if (config.backend !== '') {
    if (config.defaultModelFilename === '') config.defaultModelFilename = `model.${config.backend}`;
    return;
  }
  const dot = modelName.lastIndexOf('.');
  if (dot < 0) {
    throw invalidArg(
      `Invalid model name: Could not determine backend for model '${modelName}' with no backend in model configuration. Expected model name of the form 'model.<backend_name>'.`,
    );
  }
  config.backend = modelName.slice(dot + 1);
  if (config.defaultModelFilename === '') config.defaultModelFilename = `model.${config.backend}`;
}

/** A model tensor as a backend reports it; -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  datatype: DataType;
  dims: number[];
}

/**
 * Fills inputs, outputs and max_batch_size from what the backend read from the model file
 * (the ONNX Runtime backend's auto-complete). A config with inputs and outputs is left alone.
 */
export function completeFromModelIO(
  config: ModelConfig,
  io: { inputs: TensorSpec[]; outputs: TensorSpec[] },
  defaultMaxBatchSize = DEFAULT_MAX_BATCH_SIZE,
): void {
  if (config.input.length > 0 && config.output.length > 0) return;
  // Sequence control and implicit-state tensors are fed by the scheduler, not declared as I/O.
  const sb = sequenceBatching(config);
  const internal = new Set([...(sb?.controlInput.map((c) => c.name) ?? []), ...(sb?.state.flatMap((s) => [s.inputName, s.outputName]) ?? [])]);
  io = { inputs: io.inputs.filter((t) => !internal.has(t.name)), outputs: io.outputs.filter((t) => !internal.has(t.name)) };
  const all = [...io.inputs, ...io.outputs];
  const canBatch = all.length > 0 && all.every((t) => t.dims.length >= 1 && t.dims[0] === -1);
  if (config.maxBatchSize === 0 && canBatch) config.maxBatchSize = defaultMaxBatchSize;
  else if (config.maxBatchSize !== 0 && !canBatch) {
    throw invalidArg(`autofill failed for model '${config.name}': model does not support batching while non-zero max_batch_size is specified`);
  }
  const batching = config.maxBatchSize > 0;
  if (config.maxBatchSize > 1 && config.schedulingChoice.case === undefined) {
    config.schedulingChoice = { case: 'dynamicBatching', value: create(ModelDynamicBatchingSchema) };
  }
  const shape = (t: TensorSpec) => (batching ? t.dims.slice(1) : t.dims);
  for (const t of io.inputs) {
    if (config.input.some((i) => i.name === t.name)) continue;
    const d = shape(t);
    config.input.push(
      create(ModelInputSchema, {
        name: t.name,
        dataType: configType(t.datatype),
        dims: (d.length === 0 ? [1] : d).map(BigInt),
        reshape: d.length === 0 && batching ? create(ModelTensorReshapeSchema) : undefined,
      }),
    );
  }
  for (const t of io.outputs) {
    if (config.output.some((o) => o.name === t.name)) continue;
    const d = shape(t);
    config.output.push(
      create(ModelOutputSchema, {
        name: t.name,
        dataType: configType(t.datatype),
        dims: (d.length === 0 ? [1] : d).map(BigInt),
        reshape: d.length === 0 && batching ? create(ModelTensorReshapeSchema) : undefined,
      }),
    );
  }
}

export interface NormalizeOptions {
  /** Number of GPUs the execution backends can use (KIND_AUTO resolves to KIND_GPU when > 0). */
  gpuCount: number;
  /**
   * Instances of a KIND_CPU group without a count, for onnxruntime/tensorflow models (Triton: 2).
   * Runtimes where instances cannot run in parallel (a single-threaded WASM worker) use 1.
   */
  defaultCpuInstances?: number;
}

/** The normalisation Triton always applies (NormalizeModelConfig / NormalizeInstanceGroup). */
export function normalizeConfig(config: ModelConfig, opts: NormalizeOptions): void {
  if (!config.versionPolicy || config.versionPolicy.policyChoice.case === undefined) {
    config.versionPolicy = create(ModelVersionPolicySchema, {
      policyChoice: { case: 'latest', value: create(ModelVersionPolicy_LatestSchema, { numVersions: 1 }) },
    });
  }
  const db = dynamicBatching(config);
  if (db && db.preferredBatchSize.length === 0 && config.maxBatchSize > 0) db.preferredBatchSize = [config.maxBatchSize];
  const sb = sequenceBatching(config);
  if (sb) {
    if (sb.maxSequenceIdleMicroseconds === 0n) sb.maxSequenceIdleMicroseconds = SEQUENCE_IDLE_DEFAULT_US;
    if (sb.strategyChoice.case === undefined) {
      sb.strategyChoice = { case: 'direct', value: create(ModelSequenceBatching_StrategyDirectSchema) };
    }
  }
  if (config.platform === 'ensemble') return;
  const opt = config.optimization ?? (config.optimization = create(ModelOptimizationPolicySchema));
  opt.inputPinnedMemory ??= create(ModelOptimizationPolicy_PinnedMemoryBufferSchema, { enable: true });
  opt.outputPinnedMemory ??= create(ModelOptimizationPolicy_PinnedMemoryBufferSchema, { enable: true });
  normalizeInstanceGroups(config, opts);
}

function normalizeInstanceGroups(config: ModelConfig, opts: NormalizeOptions): void {
  if (config.instanceGroup.length === 0) {
    config.instanceGroup.push(create(ModelInstanceGroupSchema, { name: config.name }));
  }
  config.instanceGroup.forEach((g, i) => {
    if (g.name === '') g.name = `${config.name}_${i}`;
    if (g.kind === ModelInstanceGroup_Kind.AUTO) {
      g.kind = opts.gpuCount > 0 && g.gpus.every((id) => id < opts.gpuCount) ? ModelInstanceGroup_Kind.GPU : ModelInstanceGroup_Kind.CPU;
    }
    if (g.count < 1) {
      const twoOnCpu = g.kind === ModelInstanceGroup_Kind.CPU && (config.backend === 'onnxruntime' || config.backend === 'tensorflow');
      g.count = twoOnCpu ? (opts.defaultCpuInstances ?? 2) : 1;
    }
    if (g.kind === ModelInstanceGroup_Kind.GPU && g.gpus.length === 0) {
      g.gpus = Array.from({ length: opts.gpuCount }, (_, k) => k);
    }
  });
}
