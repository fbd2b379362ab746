import {
  checkShape,
  DATA_TYPES,
  type DataType,
  deserializeBytesTensor,
  invalidArg,
  isDataType,
  type NamedTensor,
  serializeBytesTensor,
  tensorBytes,
  type TensorData,
  type TypedArray,
  viewBytes,
} from '../../core/index.ts';
import type { InferTensorContents, ModelInferRequest_InferInputTensor } from './gen/grpc_service_pb.ts';
import { plainGrpcParameters } from './parameters.ts';

type ContentsField = keyof Omit<InferTensorContents, '$typeName' | '$unknown'>;

/** Which typed-contents field carries each datatype, and the type Triton names it by in its messages. */
const FIELD: Partial<Record<DataType, ContentsField>> = {
  BOOL: 'boolContents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  BYTES: 'bytesContents',
};
const FIELD_TYPE: Record<ContentsField, string> = {
  boolContents: 'BOOL',
  intContents: 'INT32',
  int64Contents: 'INT64',
  uintContents: 'UINT32',
  uint64Contents: 'UINT64',
  fp32Contents: 'FP32',
  fp64Contents: 'FP64',
  bytesContents: 'BYTES',
};

/**
 * The inputs of a ModelInferRequest: tensor data in `raw_input_contents` (one entry per input, in
 * order: what Triton's clients send) or in each input's typed `contents`, never both (Triton's
 * messages for every mistake).
 */
export function decodeInputs(inputs: ModelInferRequest_InferInputTensor[], raw: Uint8Array[], model: string): NamedTensor[] {
  const seen = new Set<string>();
  let next = 0;
  const out = inputs.map((io) => {
    if (seen.has(io.name)) throw invalidArg(`input '${io.name}' is specified more than once for model '${model}'`);
    seen.add(io.name);
    if (!isDataType(io.datatype)) throw invalidArg(`invalid datatype for input ${io.name}`);
    const shape = inputShape(io, model);
    const count = checkShape(io.name, shape, DATA_TYPES[io.datatype].size);
    const params = plainGrpcParameters(io.parameters);
    if ('shared_memory_region' in params) {
      throw invalidArg(`Unable to find system shared memory region: '${String(params.shared_memory_region)}' (this server does not support shared memory)`);
    }
    let data: TensorData;
    if (io.contents !== undefined) {
      if (raw.length > 0) throw invalidArg(`contents field must not be specified when using raw_input_contents for '${io.name}' for model '${model}'`);
      data = typedContents(io.name, io.datatype, io.contents, count, model);
    } else {
      const bytes = raw[next++];
      if (bytes === undefined) throw invalidArg(`unable to find data for input tensor '${io.name}' for model '${model}' in request.`);
      data = rawContents(io.name, io.datatype, bytes, count, model);
    }
    const tensor: NamedTensor = { name: io.name, datatype: io.datatype, shape, data };
    if (Object.keys(params).length > 0) tensor.parameters = params;
    return tensor;
  });
  if (next < raw.length) throw invalidArg(`unexpected additional input data for model '${model}'`);
  return out;
}

function inputShape(io: ModelInferRequest_InferInputTensor, model: string): number[] {
  if (io.shape.some((d) => d < 0n)) {
    throw invalidArg(`All input dimensions should be specified for input '${io.name}' for model '${model}', got [${io.shape.join(',')}]`);
  }
  return io.shape.map(Number);
}

function rawContents(name: string, datatype: DataType, bytes: Uint8Array, count: number, model: string): TensorData {
  if (datatype === 'BYTES') return deserializeBytesTensor(bytes, count, name, model);
  const expected = count * DATA_TYPES[datatype].size;
  if (bytes.byteLength !== expected) {
    throw invalidArg(`input byte size mismatch for input '${name}' for model '${model}'. Expected ${expected}, got ${bytes.byteLength}`);
  }
  return viewBytes(datatype, bytes);
}

function typedContents(name: string, datatype: DataType, contents: InferTensorContents, count: number, model: string): TensorData {
  let field: ContentsField | undefined;
  for (const f of Object.keys(FIELD_TYPE) as ContentsField[]) {
    if (contents[f].length === 0) continue;
    if (field !== undefined) {
      throw invalidArg(`unexpected explicit tensor data for input tensor '${name}' for model '${model}', binary data was already supplied.`);
    }
    if (FIELD[datatype] !== f) {
      throw invalidArg(
        `unexpected explicit tensor data for input tensor '${name}' for model '${model}' of type '${FIELD_TYPE[f]}', expected datatype '${datatype}'`,
      );
    }
    field = f;
  }
  if (datatype === 'BYTES') {
    const elements = contents.bytesContents;
    if (elements.length !== count) {
      throw invalidArg(`expected ${count} string elements for inference input '${name}' for model '${model}', got ${elements.length}`);
    }
    return elements;
  }
  const values = field === undefined ? [] : (contents[field] as ArrayLike<number | bigint | boolean>);
  if (values.length !== count) {
    const size = DATA_TYPES[datatype].size;
    throw invalidArg(`input byte size mismatch for input '${name}' for model '${model}'. Expected ${count * size}, got ${values.length * size}`);
  }
  const ctor = DATA_TYPES[datatype].ctor!;
  const out = new ctor(count);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    (out as unknown as (number | bigint)[])[i] = typeof v === 'boolean' ? Number(v) : v;
  }
  return out;
}

/** An output's bytes in `raw_output_contents`: little-endian elements; BYTES as 4-byte-length-prefixed elements. */
export function rawOutput(t: NamedTensor): Uint8Array {
  return t.datatype === 'BYTES' ? serializeBytesTensor(t.data as Uint8Array[]) : tensorBytes(t.data as TypedArray);
}
