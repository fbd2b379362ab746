import { invalidArg } from '../errors.ts';
import { controlSpecs } from '../scheduling/sequence-controls.ts';
import type { DataType } from '../types.ts';
import { configTypeName, configType, protocolType, sequenceBatching } from './accessors.ts';
import type { TensorSpec } from './complete.ts';
import type { ModelConfig, ModelInput, ModelOutput } from './gen/model_config_pb.ts';

/** A model's tensors as its backend reads them from the model file (-1: a dynamic dimension). */
export interface ModelIO {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

const shapeText = (dims: readonly number[]) => `[${dims.join(',')}]`;
const typeName = (dt: DataType) => configTypeName(configType(dt));
const fits = (model: number, config: number) => model === -1 || config === -1 || model === config;

/**
 * Checks a configuration against the tensors of its model file, as Triton's onnxruntime backend does
 * when it loads an instance (ValidateInputs/ValidateOutputs): every configured input and output must
 * exist in the model with the same datatype and compatible dims (the reshape shape when there is
 * one, behind an implicit batch dimension when max_batch_size > 0; -1 on either side matches any
 * size), and every model input must be configured or be a sequence control or state input, which
 * the server feeds itself. An `optional` input the model does not list is accepted: it may be a
 * graph input backed by an initializer, which onnxruntime does not report as an input.
 */
export function checkModelIO(config: ModelConfig, io: ModelIO): void {
  const m = config.name;
  const inputs = new Map(io.inputs.map((t) => [t.name, t]));
  const outputs = new Map(io.outputs.map((t) => [t.name, t]));
  const fed = checkSequenceTensors(config, inputs, outputs);
  for (const c of config.input) {
    const t = inputs.get(c.name);
    if (!t) {
      if (c.optional) continue;
      throw invalidArg(`unable to load model '${m}', unexpected inference input '${c.name}', allowed inputs are: ${[...inputs.keys()].sort().join(', ')}`);
    }
    checkTensor(config, c, t, 'input');
  }
  for (const c of config.output) {
    const t = outputs.get(c.name);
    if (!t)
      throw invalidArg(`unable to load model '${m}', unexpected inference output '${c.name}', allowed outputs are: ${[...outputs.keys()].sort().join(', ')}`);
    checkTensor(config, c, t, 'output');
  }
  const configured = new Set([...config.input.map((c) => c.name), ...fed]);
  const missing = io.inputs.filter((t) => !configured.has(t.name));
  if (missing.length > 0) {
    const expected = io.inputs.length - missing.length;
    const list = missing.map((t) => `'${t.name}' (${typeName(t.datatype)} ${shapeText(t.dims)})`).join(', ');
    const which = missing.length === 1 ? `model input ${list} is` : `model inputs ${list} are`;
    throw invalidArg(
      `unable to load model '${m}', configuration expects ${expected} inputs, model provides ${io.inputs.length}: ${which} not in the configuration`,
    );
  }
}

function checkTensor(config: ModelConfig, c: ModelInput | ModelOutput, t: TensorSpec, kind: 'input' | 'output'): void {
  const m = config.name;
  if (protocolType(c.dataType) !== t.datatype) {
    throw invalidArg(
      `unable to load model '${m}', configuration expects datatype ${configTypeName(c.dataType)} for ${kind} '${c.name}', model provides ${typeName(t.datatype)}`,
    );
  }
  checkDims(config, c.name, t.dims, (c.reshape ? c.reshape.shape : c.dims).map(Number));
}

/** Triton's CompareDimsSupported, with -1 matching any size on either side. */
function checkDims(config: ModelConfig, name: string, model: readonly number[], dims: readonly number[]): void {
  const m = config.name;
  if (model.length === 0) {
    // A scalar model tensor: the configuration may only give dims of 1.
    if (dims.some((d) => d !== 1)) {
      throw invalidArg(
        `unable to load model '${m}', scalar tensor '${name}', should only provide 1 in the model configuration when the model doesn't support batching. Model configuration provided: ${shapeText(dims)}.`,
      );
    }
    return;
  }
  const batch = config.maxBatchSize;
  if (batch > 0) {
    // A fixed first dimension of 1 still works when no batch can hold more than one request.
    if (model[0] !== -1 && !(model[0] === 1 && batch === 1)) {
      throw invalidArg(
        `model '${m}', tensor '${name}': for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is ${shapeText(model)}`,
      );
    }
    const full = [-1, ...dims];
    if (model.length !== full.length || !model.every((d, i) => i === 0 || fits(d, full[i]!))) {
      throw invalidArg(
        `model '${m}', tensor '${name}': the model expects ${model.length} dimensions (shape ${shapeText(model)}) but the model configuration specifies ${full.length} dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape ${shapeText(full)})`,
      );
    }
    return;
  }
  if (model.length !== dims.length || !model.every((d, i) => fits(d, dims[i]!))) {
    throw invalidArg(
      `model '${m}', tensor '${name}': the model expects ${model.length} dimensions (shape ${shapeText(model)}) but the model configuration specifies ${dims.length} dimensions (shape ${shapeText(dims)})`,
    );
  }
}

/** Sequence control and state tensors must be in the model; returns the input names the server feeds. */
function checkSequenceTensors(config: ModelConfig, inputs: Map<string, TensorSpec>, outputs: Map<string, TensorSpec>): Set<string> {
  const sb = sequenceBatching(config);
  const fed = new Set<string>();
  if (!sb) return fed;
  const m = config.name;
  for (const c of controlSpecs(config, sb)) {
    const t = inputs.get(c.name);
    if (!t) throw invalidArg(`unable to load model '${m}', configuration specified sequence control '${c.name}', but model does not provide that input`);
    if (t.datatype !== c.datatype) {
      throw invalidArg(
        `unable to load model '${m}', sequence control '${c.name}', the model expects data-type ${typeName(t.datatype)} but the model configuration specifies data-type ${typeName(c.datatype)}`,
      );
    }
    checkDims(config, c.name, t.dims, [1]);
    fed.add(c.name);
  }
  for (const s of sb.state) {
    const dt = protocolType(s.dataType);
    const dims = s.dims.map(Number);
    for (const [kind, name, tensors] of [
      ['input', s.inputName, inputs],
      ['output', s.outputName, outputs],
    ] as const) {
      const t = tensors.get(name);
      if (!t)
        throw invalidArg(`unable to load model '${m}', configuration specified sequence state ${kind} '${name}', but model does not provide that ${kind}`);
      if (t.datatype !== dt) {
        throw invalidArg(
          `unable to load model '${m}', sequence state ${kind} '${name}', the model expects data-type ${typeName(t.datatype)} but the model configuration specifies data-type ${configTypeName(s.dataType)}`,
        );
      }
      checkDims(config, name, t.dims, dims);
    }
    fed.add(s.inputName);
  }
  return fed;
}
