import { invalidArg } from '../errors.ts';
import { jsonToTensorData } from '../tensor/json.ts';
import type { DataType, InferRequest, InferResponse, NamedTensor } from '../types.ts';
import { requestParameters } from './parameters.ts';

/** A model input as the generate schema needs it: name, datatype and the shape clients see (-1 = any). */
export interface GenerateInput {
  name: string;
  datatype: DataType;
  shape: number[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The shape of a generate input from its element count: fixed dims divide the count, the innermost
 * -1 takes the rest, other -1s become 1 (Triton's generate schema).
 */
export function generateShape(input: GenerateInput, count: number): number[] {
  const fixed = input.shape.reduce((p, d) => (d > 0 ? p * d : p), 1);
  const innermost = input.shape.lastIndexOf(-1);
  const fail = () => invalidArg(`The schema can not convert input '${input.name}' to tensor with proper shape`);
  if (fixed === 0 || count % fixed !== 0) throw fail();
  if (innermost < 0) {
    if (count !== fixed) throw fail();
    return [...input.shape];
  }
  return input.shape.map((d, i) => (i === innermost ? count / fixed : d === -1 ? 1 : d));
}

/**
 * Triton's generate request: a JSON object whose keys (top level, or inside `parameters`) that
 * name a model input become that input (a scalar is one element, an array is 1-D); every other
 * key is a request parameter (Triton's reserved ones keep their meaning), and `id` the request id.
 */
export function decodeGenerateRequest(body: unknown, model: string, version: string | undefined, inputs: readonly GenerateInput[]): InferRequest {
  if (!isObject(body)) throw invalidArg('failed to parse the request JSON buffer: the request must be a JSON object');
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const req: InferRequest = { model, version, inputs: [] };
  const params: Record<string, unknown> = {};
  const take = (key: string, value: unknown) => {
    const input = byName.get(key);
    if (input) req.inputs.push(tensorOf(input, value));
    else params[key] = value;
  };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'parameters' && !byName.has(key)) {
      if (!isObject(value)) throw invalidArg(`Unable to parse 'parameters': attempt to access JSON non-object as object`);
      for (const [k, v] of Object.entries(value)) take(k, v);
    } else if (key === 'id' && !byName.has(key)) {
      if (typeof value !== 'string') throw invalidArg(`Unable to parse 'id': attempt to access JSON non-string as string`);
      if (value !== '') req.id = value;
    } else take(key, value);
  }
  if (Object.keys(params).length > 0) Object.assign(req, requestParameters(params));
  return req;
}

function tensorOf(input: GenerateInput, value: unknown): NamedTensor {
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => Array.isArray(v) || isObject(v))) throw invalidArg(`The schema can not convert input '${input.name}' to tensor with proper shape`);
  return { name: input.name, datatype: input.datatype, shape: generateShape(input, values.length), data: jsonToTensorData(input.name, input.datatype, values) };
}

const utf8 = new TextDecoder();

/** One output's value: a scalar for one element (a string for text), else a flat array. */
function outputValue(t: NamedTensor): unknown {
  const values: unknown[] =
    t.datatype === 'BYTES'
      ? (t.data as Uint8Array[]).map((b) => utf8.decode(b))
      : t.datatype === 'BOOL'
        ? Array.from(t.data as Uint8Array, (v) => v !== 0)
        : Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  return values.length === 1 ? values[0] : values;
}

/** Triton's generate response: id, model name and version, each output by name, each response parameter. */
export function encodeGenerateResponse(res: InferResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (res.id) out.id = res.id;
  out.model_name = res.model_name;
  out.model_version = res.model_version;
  for (const t of res.outputs) {
    if (t.datatype === 'FP16' || t.datatype === 'BF16')
      throw invalidArg(`sending ${t.datatype} data via JSON is not supported. Use /infer with binary outputs`);
    out[t.name] = outputValue(t);
  }
  for (const [k, v] of Object.entries(res.parameters ?? {})) if (!(k in out)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}
