import type { ModelSpec } from '../config/model-spec.ts';
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
export function checkRequest(spec: ModelSpec, req: InferRequest): CheckedRequest {
  const m = spec.name;
  const fail = (msg: string): ServerError => invalidArg(requestPrefix(req.id) + msg);
  const inputsIn = req.rawInput ? [rawRequestInput(spec, req.rawInput, fail)] : req.inputs;
  const inputs = new Map<string, NamedTensor>();
  for (const t of inputsIn) {
    if (!spec.inputs.has(t.name)) throw fail(`unexpected inference input '${t.name}' for model '${m}'`);
    inputs.set(t.name, t);
  }
  if (inputs.size < spec.inputs.size) {
    const missing = spec.required.filter((n) => !inputs.has(n)).map((n) => `'${n}'`);
    if (missing.length > 0) {
      const optional = spec.inputs.size - spec.required.length;
      const expected =
        optional > 0 ? `expected number of inputs between ${spec.required.length} and ${spec.inputs.size}` : `expected ${spec.required.length} inputs`;
      const got = [...inputs.keys()].map((n) => `'${n}'`).join(',');
      throw fail(
        `${expected} but got ${inputs.size} inputs for model '${m}'. Got input(s) [${got}], but missing required input(s) [${missing.join(',')}]. Please provide all required input(s).`,
      );
    }
  }
  let batchSize = 1;
  if (spec.batching) {
    let first: number | undefined;
    for (const t of inputs.values()) {
      if (t.shape.length === 0) throw fail(`input '${t.name}' has no shape but model requires batch dimension for '${m}'`);
      const b = t.shape[0]!;
      if (first === undefined) first = b;
      else if (b !== first) throw fail(`input '${t.name}' batch size does not match other inputs for '${m}'`);
    }
    batchSize = first ?? 1;
    if (batchSize > spec.maxBatchSize) throw fail(`inference request batch-size must be <= ${spec.maxBatchSize} for '${m}'`);
  }
  for (const t of inputs.values()) {
    const io = spec.inputs.get(t.name)!;
    if (t.datatype !== io.datatype) {
      throw fail(`inference input '${t.name}' data-type is '${t.datatype}', but model '${m}' expects '${io.datatype}'`);
    }
    const offset = spec.batching ? 1 : 0;
    if (!shapeMatches(io.dims, t.shape, offset) && !(io.reshape && shapeMatches(io.reshape, t.shape, offset))) {
      const note = spec.batching ? ` ${BATCH_NOTE}` : '';
      throw fail(`unexpected shape for input '${t.name}' for model '${m}'. Expected ${formatShape(io.clientShape)}, got ${formatShape(t.shape)}.${note}`);
    }
  }
  const outputs = req.outputs ? req.outputs.map((o) => o.name) : [...spec.outputs.keys()];
  if (req.outputs) {
    for (const name of outputs) if (!spec.outputs.has(name)) throw fail(`unexpected inference output '${name}' for model '${m}'`);
  }
  return { inputs, batchSize, outputs };
}

/** Whether `shape` from `offset` on matches `want` (-1 matches any size). */
function shapeMatches(want: readonly number[], shape: readonly number[], offset: number): boolean {
  if (want.length !== shape.length - offset) return false;
  for (let i = 0; i < want.length; i++) if (want[i] !== -1 && want[i] !== shape[i + offset]) return false;
  return true;
}
