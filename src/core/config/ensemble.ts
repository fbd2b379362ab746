import { invalidArg } from '../errors.ts';
import { ensembleScheduling } from './accessors.ts';
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
