import type { ModelSpec } from '../config/model-spec.ts';
import type { ServerError } from '../errors.ts';
import { deserializeBytesTensor } from '../tensor/bytes.ts';
import { DATA_TYPES, viewBytes } from '../tensor/datatype.ts';
import type { NamedTensor } from '../types.ts';

/**
 * A raw binary request (Inference-Header-Content-Length: 0): the whole body is the data of the
 * model's only input; its shape is deduced from the config (batch 1 for batching models).
 */
export function rawRequestInput(spec: ModelSpec, body: Uint8Array, fail: (msg: string) => ServerError): NamedTensor {
  const m = spec.name;
  if (spec.inputs.size !== 1) {
    throw fail(`Raw request must only have 1 input (found 1) to be deduced but got ${spec.inputs.size} inputs in '${m}' model configuration`);
  }
  const io = spec.inputs.values().next().value!;
  const datatype = io.datatype;
  const d = io.dims;
  const batch = spec.batching ? [1] : [];
  if (datatype === 'BYTES') {
    if (d.length !== 1 || d[0] !== 1) throw fail(`For BYTE datatype raw input '${io.name}', the model must have input shape [1]`);
    return { name: io.name, datatype, shape: [...batch, 1], data: deserializeBytesTensor(body, 1, io.name, m) };
  }
  const variable = d.filter((x) => x === -1).length;
  if (variable > 1) {
    throw fail(`The shape of the raw input '${io.name}' can not be deduced because there are more than one variable-sized dimension`);
  }
  const size = DATA_TYPES[datatype].size;
  const fixed = d.filter((x) => x !== -1).reduce((a, b) => a * b, 1);
  if (body.byteLength % (fixed * size) !== 0) {
    throw fail(`input byte size mismatch for input '${io.name}' for model '${m}'. Expected a multiple of ${fixed * size}, got ${body.byteLength}`);
  }
  const shape = d.map((x) => (x === -1 ? body.byteLength / (fixed * size) : x));
  if (variable === 0 && body.byteLength !== fixed * size) {
    throw fail(`input byte size mismatch for input '${io.name}' for model '${m}'. Expected ${fixed * size}, got ${body.byteLength}`);
  }
  return { name: io.name, datatype, shape: [...batch, ...shape], data: viewBytes(datatype, body) };
}
