import { invalidArg } from '../errors.ts';
import { configTypeName, ensembleScheduling } from './accessors.ts';
import type { ModelConfig } from './gen/model_config_pb.ts';

/**
 * Structural checks of `ensemble_scheduling` that need no composing model (Triton's
 * ValidateEnsembleSchedulingConfig): steps present and complete, every ensemble input used,
 * every output written exactly once, no intermediate tensor left unused, no cycle.
 */
export function validateEnsembleGraph(config: ModelConfig): void {
  const e = config.name;
  const sched = ensembleScheduling(config);
  if (!sched || sched.step.length === 0) throw invalidArg(`must specify at least one step in ensemble '${e}'`);
  const producers = new Map<string, number>();
  const consumed = new Set<string>();
  sched.step.forEach((step, i) => {
    if (step.modelName === '') throw invalidArg(`must specify 'model_name' in step ${i} of ensemble '${e}'`);
    if (Object.keys(step.inputMap).length === 0) throw invalidArg(`must specify 'input_map' in step ${i} of ensemble '${e}'`);
    if (Object.keys(step.outputMap).length === 0) throw invalidArg(`must specify 'output_map' in step ${i} of ensemble '${e}'`);
    for (const t of Object.values(step.inputMap)) consumed.add(t);
    for (const t of Object.values(step.outputMap)) {
      if (producers.has(t)) throw invalidArg(`ensemble tensor '${t}' can appear in an output map only once for ensemble '${e}' step ${i}`);
      producers.set(t, i);
    }
  });
  const inputs = new Set(config.input.map((i) => i.name));
  for (const name of inputs) {
    if (!consumed.has(name)) throw invalidArg(`ensemble input '${name}' for ensemble ${e}' is not used`);
    if (producers.has(name)) throw invalidArg(`ensemble input '${name}' for ensemble '${e}' is written by step ${producers.get(name)}`);
  }
  for (const out of config.output) {
    if (!producers.has(out.name)) throw invalidArg(`ensemble output '${out.name}' for ensemble ${e}' is not written`);
  }
  const outputs = new Set(config.output.map((o) => o.name));
  for (const t of producers.keys()) {
    if (!consumed.has(t) && !outputs.has(t)) throw invalidArg(`ensemble tensor '${t}' is unused in ensemble '${e}'`);
  }
  for (const t of consumed) {
    if (!inputs.has(t) && !producers.has(t)) throw invalidArg(`ensemble tensor '${t}' is used in ensemble '${e}' but no step or ensemble input provides it`);
  }
  // Cycle check: repeatedly run every step whose inputs are available.
  const available = new Set(inputs);
  const done = new Set<number>();
  let progress = true;
  while (progress) {
    progress = false;
    sched.step.forEach((step, i) => {
      if (done.has(i) || !Object.values(step.inputMap).every((t) => available.has(t))) return;
      done.add(i);
      progress = true;
      for (const t of Object.values(step.outputMap)) available.add(t);
    });
  }
  if (done.size !== sched.step.length) {
    const stuck = sched.step.map((s, i) => (done.has(i) ? undefined : `${i} (${s.modelName})`)).filter(Boolean);
    throw invalidArg(`ensemble '${e}' contains a cycle: steps ${stuck.join(', ')} can never run`);
  }
}

/** Names of the composing models of an ensemble (possibly NAMESPACE::MODEL). */
export function ensembleStepModels(config: ModelConfig): string[] {
  return [...new Set(ensembleScheduling(config)?.step.map((s) => s.modelName) ?? [])];
}

interface TensorInfo {
  type: number;
  shape: number[];
  from: string;
}

/**
 * Checks an ensemble against its composing models' configs (Triton's ensemble_utils): mapped
 * names exist, every ensemble tensor has one data type and a compatible shape across the models
 * that read or write it, and each composing model allows the ensemble's batch size.
 */
export function validateEnsembleSteps(config: ModelConfig, stepConfig: (stepModel: string) => ModelConfig): void {
  const e = config.name;
  const sched = ensembleScheduling(config)!;
  const tensors = new Map<string, TensorInfo>();
  const shapeOf = (c: ModelConfig, dims: bigint[]) => (c.maxBatchSize > 0 ? [-1, ...dims.map(Number)] : dims.map(Number));
  const note = (name: string, info: TensorInfo) => {
    const seen = tensors.get(name);
    if (!seen) return void tensors.set(name, info);
    if (seen.type !== info.type) {
      throw invalidArg(
        `in ensemble ${e}, ensemble tensor ${name}: inconsistent data type: ${configTypeName(seen.type)} is inferred from model ${seen.from} while ${configTypeName(info.type)} is inferred from model ${info.from}`,
      );
    }
    if (!compatible(seen.shape, info.shape)) {
      throw invalidArg(
        `in ensemble ${e}, ensemble tensor ${name}: inconsistent shape: [${seen.shape.join(',')}] is inferred from model ${seen.from} while [${info.shape.join(',')}] is inferred from model ${info.from}`,
      );
    }
  };
  for (const io of [...config.input, ...config.output]) note(io.name, { type: io.dataType, shape: shapeOf(config, io.dims), from: e });
  for (const step of sched.step) {
    const c = stepConfig(step.modelName);
    if (config.maxBatchSize > 0 && c.maxBatchSize < config.maxBatchSize) {
      throw invalidArg(
        `ensemble ${e} allows maximum batch size ${config.maxBatchSize}, but it contains model ${step.modelName} which only allows maximum batch size to be ${c.maxBatchSize}`,
      );
    }
    for (const [input, tensor] of Object.entries(step.inputMap)) {
      const io = c.input.find((i) => i.name === input);
      if (!io) throw invalidArg(`in ensemble ${e}, ensemble tensor ${tensor} is mapped to non-existing input ${input} of model ${step.modelName}`);
      note(tensor, { type: io.dataType, shape: shapeOf(c, io.dims), from: step.modelName });
    }
    for (const [output, tensor] of Object.entries(step.outputMap)) {
      const io = c.output.find((o) => o.name === output);
      if (!io) throw invalidArg(`in ensemble ${e}, ensemble tensor ${tensor} is mapped from non-existing output ${output} of model ${step.modelName}`);
      note(tensor, { type: io.dataType, shape: shapeOf(c, io.dims), from: step.modelName });
    }
    const missing = c.input.filter((i) => !i.optional && !(i.name in step.inputMap)).map((i) => i.name);
    if (missing.length > 0) throw invalidArg(`in ensemble ${e}, step of model '${step.modelName}' does not map required input(s) ${missing.join(', ')}`);
  }
}

function compatible(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}
