import { invalidArg } from '../errors.ts';
import type { InferRequest, NamedTensor, RequestedOutput, TensorData } from '../types.ts';
import { deserializeBytesTensor } from '../tensor/bytes.ts';
import { DATA_TYPES, isDataType, viewBytes } from '../tensor/datatype.ts';
import { needsExactParse, parseExact } from '../tensor/exact-json.ts';
import { flattenJsonData, jsonToTensorData } from '../tensor/json.ts';
import { checkShape } from '../tensor/shape.ts';
import { plainParameters, requestParameters } from './parameters.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

export interface DecodeOptions {
  model: string;
  version?: string;
  /** Value of Inference-Header-Content-Length; undefined when the header is absent. */
  headerLength?: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a KServe v2 infer request body (JSON, or JSON + binary tensor data) into an InferRequest. */
export function decodeInferRequest(body: Uint8Array, opts: DecodeOptions): InferRequest {
  const { model, headerLength } = opts;
  if (headerLength === 0) {
    return { model, version: opts.version, inputs: [], rawInput: body, binaryOutput: true };
  }
  const jsonEnd = headerLength ?? body.byteLength;
  const header = parseJson(body.subarray(0, jsonEnd));
  const binary = new BinaryCursor(body.subarray(jsonEnd), model);
  const request: InferRequest = { model, version: opts.version, inputs: [] };
  if ('id' in header) {
    if (typeof header.id !== 'string') throw invalidArg(`Unable to parse 'id': attempt to access JSON non-string as string`);
    if (header.id !== '') request.id = header.id;
  }
  if ('parameters' in header) Object.assign(request, requestParameters(header.parameters));
  const inputs = header.inputs;
  if (!Array.isArray(inputs)) {
    throw invalidArg(
      inputs === undefined ? `attempt to access non-existing object member 'inputs'` : `Unable to parse 'inputs': attempt to access JSON non-array as array`,
    );
  }
  const seen = new Set<string>();
  for (const raw of inputs) {
    const t = decodeInput(raw, binary, model);
    if (seen.has(t.name)) throw invalidArg(`input '${t.name}' is specified more than once for model '${model}'`);
    seen.add(t.name);
    request.inputs.push(t);
  }
  binary.finish();
  // An empty `outputs` list asks for nothing in particular: all outputs, as when it is absent.
  if ('outputs' in header) {
    const outputs = decodeOutputs(header.outputs);
    if (outputs.length > 0) request.outputs = outputs;
  }
  return request;
}

function parseJson(bytes: Uint8Array): Json {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw invalidArg('failed to parse the request JSON buffer: the JSON header is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidArg(`failed to parse the request JSON buffer: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw invalidArg('failed to parse the request JSON buffer: the request must be a JSON object');
  return needsExactParse(value, text) ? (parseExact(text) as Json) : value;
}

function decodeInput(raw: unknown, binary: BinaryCursor, model: string): NamedTensor {
  if (!isObject(raw)) throw invalidArg(`Unable to parse 'inputs': attempt to access JSON non-object as object`);
  const { name, datatype, shape } = raw;
  if (typeof name !== 'string') throw invalidArg(`Unable to parse 'name': attempt to access JSON non-string as string`);
  if (typeof datatype !== 'string') throw invalidArg(`Unable to parse 'datatype' of input '${name}': attempt to access JSON non-string as string`);
  if (!isDataType(datatype)) throw invalidArg(`invalid datatype for input ${name}`);
  const count = checkShape(name, shape, DATA_TYPES[datatype].size);
  const params = raw.parameters === undefined ? {} : plainParameters(raw.parameters);
  const set: string[] = [];
  if ('data' in raw) set.push("'data'");
  if ('binary_data_size' in params) set.push("'binary_data_size'");
  if ('shared_memory_region' in params) set.push("'shared_memory_region'");
  if (set.length !== 1) {
    throw invalidArg(
      `Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But ${set.length === 0 ? 'no field is set' : `set ${set.join(' ')}`}`,
    );
  }
  if ('shared_memory_region' in params) {
    throw invalidArg(`Unable to find system shared memory region: '${String(params.shared_memory_region)}' (this server does not support shared memory)`);
  }
  let data: TensorData;
  if ('data' in raw) {
    const { values, overflow } = flattenJsonData(raw.data, count);
    if (overflow) throw invalidArg(`Unable to parse 'data': Shape does not match true shape of 'data' field for input '${name}'`);
    if (values.length !== count)
      throw invalidArg(`Failed to parse 'data' field: shape does not match true shape for input '${name}': expected ${count} elements, got ${values.length}`);
    data = jsonToTensorData(name, datatype, values);
  } else {
    const size = params.binary_data_size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw invalidArg(`Unable to parse 'binary_data_size' of input '${name}': attempt to access JSON non-unsigned-integer as unsigned-integer`);
    }
    const bytes = binary.take(name, size);
    if (datatype === 'BYTES') {
      data = deserializeBytesTensor(bytes, count, name, model);
    } else {
      const expected = count * DATA_TYPES[datatype].size;
      if (bytes.byteLength !== expected) {
        throw invalidArg(`input byte size mismatch for input '${name}' for model '${model}'. Expected ${expected}, got ${bytes.byteLength}`);
      }
      data = viewBytes(datatype, bytes);
    }
    delete params.binary_data_size;
  }
  const tensor: NamedTensor = { name, datatype, shape: shape as number[], data };
  if (Object.keys(params).length > 0) tensor.parameters = params;
  return tensor;
}

function decodeOutputs(raw: unknown): RequestedOutput[] {
  if (!Array.isArray(raw)) throw invalidArg(`Unable to parse 'outputs': attempt to access JSON non-array as array`);
  return raw.map((o): RequestedOutput => {
    if (!isObject(o)) throw invalidArg(`Unable to parse 'outputs': attempt to access JSON non-object as object`);
    if (typeof o.name !== 'string') throw invalidArg(`Unable to parse 'name': attempt to access JSON non-string as string`);
    const out: RequestedOutput = { name: o.name };
    if (o.parameters === undefined) return out;
    const params = plainParameters(o.parameters);
    const cls = params.classification;
    if (cls !== undefined) {
      if (typeof cls !== 'number' || !Number.isInteger(cls) || cls < 0) {
        throw invalidArg(`Unable to parse 'classification': attempt to access JSON non-unsigned-integer as unsigned-integer`);
      }
      if ('shared_memory_region' in params) throw invalidArg(`Output can't set both 'shared_memory_region' and 'classification'`);
      if (cls > 0) out.classification = cls;
    }
    if ('shared_memory_region' in params) {
      throw invalidArg(`Unable to find system shared memory region: '${String(params.shared_memory_region)}' (this server does not support shared memory)`);
    }
    if ('binary_data' in params && typeof params.binary_data !== 'boolean') {
      throw invalidArg(`Unable to parse 'binary_data': attempt to access JSON non-boolean as boolean`);
    }
    out.parameters = params;
    return out;
  });
}

class BinaryCursor {
  private offset = 0;
  private readonly buf: Uint8Array;
  private readonly model: string;

  constructor(buf: Uint8Array, model: string) {
    this.buf = buf;
    this.model = model;
  }
  take(input: string, size: number): Uint8Array {
    const left = this.buf.byteLength - this.offset;
    if (size > left) {
      throw invalidArg(`unexpected size for input '${input}', expecting ${size - left} additional bytes for model '${this.model}'`);
    }
    const out = this.buf.subarray(this.offset, this.offset + size);
    this.offset += size;
    return out;
  }
  finish(): void {
    if (this.offset !== this.buf.byteLength) throw invalidArg(`unexpected additional input data for model '${this.model}'`);
  }
}
