import { clientShape, dims, protocolType } from '../config/accessors.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg, type ServerError } from '../errors.ts';
import { formatShape } from '../tensor/shape.ts';
import type { InferRequest, NamedTensor } from '../types.ts';
import { rawRequestInput } from '../codec/raw-input.ts';

const BATCH_NOTE =
  'NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.';

export const requestPrefix = (id: string | undefined): string => `[request id: ${id || '<id_unknown>'}] `;

/** Validated request: inputs by name, batch size (1 for non-batching models) and output names. */
export interface CheckedRequest {
  inputs: Map<string, NamedTensor>;
  batchSize: number;
  outputs: string[];
}

/** Triton's request validation (core infer_request.cc) with its messages. */
export function checkRequest(config: ModelConfig, req: InferRequest, controlInputs: ReadonlySet<string> = new Set()): CheckedRequest {
  const m = config.name;
  const fail = (msg: string): ServerError => invalidArg(requestPrefix(req.id) + msg);
  const inputsIn = req.rawInput ? [rawRequestInput(config, req.rawInput, fail)] : req.inputs;
  const inputs = new Map<string, NamedTensor>();
  const declared = new Map(config.input.map((i) => [i.name, i]));
  for (const t of inputsIn) {
    if (!declared.has(t.name) || controlInputs.has(t.name)) throw fail(`unexpected inference input '${t.name}' for model '${m}'`);
    inputs.set(t.name, t);
  }
  const required = config.input.filter((i) => !i.optional && !controlInputs.has(i.name));
  const missing = required.filter((i) => !inputs.has(i.name)).map((i) => `'${i.name}'`);
  if (missing.length > 0) {
    const optional = config.input.length - controlInputs.size - required.length;
    const expected = optional > 0 ? `expected number of inputs between ${required.length} and ${required.length + optional}` : `expected ${required.length} inputs`;
    const got = [...inputs.keys()].map((n) => `'${n}'`).join(',');
    throw fail(`${expected} but got ${inputs.size} inputs for model '${m}'. Got input(s) [${got}], but missing required input(s) [${missing.join(',')}]. Please provide all required input(s).`);
  }
  let batchSize = 1;
  if (config.maxBatchSize > 0) {
    let first: number | undefined;
    for (const t of inputs.values()) {
      if (t.shape.length === 0) throw fail(`input '${t.name}' has no shape but model requires batch dimension for '${m}'`);
      const b = t.shape[0]!;
      if (first === undefined) first = b;
      else if (b !== first) throw fail(`input '${t.name}' batch size does not match other inputs for '${m}'`);
    }
    batchSize = first ?? 1;
    if (batchSize > config.maxBatchSize) throw fail(`inference request batch-size must be <= ${config.maxBatchSize} for '${m}'`);
  }
  for (const t of inputs.values()) {
    const io = declared.get(t.name)!;
    const expectedType = protocolType(io.dataType);
    if (t.datatype !== expectedType) {
      throw fail(`inference input '${t.name}' data-type is '${t.datatype}', but model '${m}' expects '${expectedType}'`);
    }
    const want = dims(io);
    const got = config.maxBatchSize > 0 ? t.shape.slice(1) : t.shape;
    if (!shapeMatches(want, got) && !(io.reshape && shapeMatches(io.reshape.shape.map(Number), got))) {
      const note = config.maxBatchSize > 0 ? ` ${BATCH_NOTE}` : '';
      throw fail(`unexpected shape for input '${t.name}' for model '${m}'. Expected ${formatShape(clientShape(config, io))}, got ${formatShape(t.shape)}.${note}`);
    }
  }
  const outputs = req.outputs ? req.outputs.map((o) => o.name) : config.output.map((o) => o.name);
  for (const name of outputs) {
    if (!config.output.some((o) => o.name === name)) throw fail(`unexpected inference output '${name}' for model '${m}'`);
  }
  return { inputs, batchSize, outputs };
}

function shapeMatches(want: number[], got: number[]): boolean {
  if (want.length !== got.length) return false;
  for (let i = 0; i < want.length; i++) if (want[i] !== -1 && want[i] !== got[i]) return false;
  return true;
}
