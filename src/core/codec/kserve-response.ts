import { countCopied } from '../stats/copies.ts';
import { invalidArg } from '../errors.ts';
import type { InferResponse, NamedTensor, RequestedOutput, TypedArray } from '../types.ts';
import { serializeBytesTensor } from '../tensor/bytes.ts';
import { tensorBytes } from '../tensor/datatype.ts';
import { tensorDataToJson } from '../tensor/json.ts';

const encoder = new TextEncoder();

/**
 * An encoded response as the parts a transport writes one after the other (the JSON header, then
 * each binary output's own bytes): nothing is concatenated here.
 */
export interface EncodedResponse {
  parts: Uint8Array[];
  /** Total bytes of all parts. */
  byteLength: number;
  /** Length of the JSON header when binary data follows it (Inference-Header-Content-Length). */
  headerLength?: number;
}

/** One buffer holding every part, for transports that cannot write parts (one copy). */
export function joinParts(parts: readonly Uint8Array[], byteLength = parts.reduce((n, p) => n + p.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(byteLength);
  countCopied(byteLength - parts[0]!.byteLength);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/**
 * Decides per output whether it goes out as binary: the output's own `binary_data` parameter wins,
 * else the request's `binary_data_output`.
 */
export function binaryOutputs(requested: RequestedOutput[] | undefined, binaryDefault: boolean): (name: string) => boolean {
  const explicit = new Map<string, boolean>();
  for (const o of requested ?? []) {
    const b = o.parameters?.binary_data;
    if (typeof b === 'boolean') explicit.set(o.name, b);
  }
  return (name) => explicit.get(name) ?? binaryDefault;
}

/** Serializes an InferResponse as KServe v2 JSON, appending binary outputs after the JSON header. */
export function encodeInferResponse(res: InferResponse, isBinary: (name: string) => boolean): EncodedResponse {
  const chunks: Uint8Array[] = [];
  const parts: string[] = [];
  for (const out of res.outputs) {
    if (isBinary(out.name)) {
      const bytes = outputBytes(out);
      if (bytes.byteLength > 0) chunks.push(bytes);
      parts.push(outputHeader(out, `"parameters":${paramsWith(out, bytes.byteLength)}`));
    } else {
      if (out.datatype === 'FP16' || out.datatype === 'BF16') {
        throw invalidArg(`sending ${out.datatype} data via JSON is not supported. Please use the binary data format for output`);
      }
      const params = out.parameters && Object.keys(out.parameters).length > 0 ? `,"parameters":${JSON.stringify(out.parameters)}` : '';
      parts.push(outputHeader(out, `"data":${tensorDataToJson(out.datatype, out.data)}${params}`));
    }
  }
  let head = '{';
  if (res.id !== undefined && res.id !== '') head += `"id":${JSON.stringify(res.id)},`;
  head += `"model_name":${JSON.stringify(res.model_name)},"model_version":${JSON.stringify(res.model_version)},`;
  if (res.parameters && Object.keys(res.parameters).length > 0) head += `"parameters":${stringifyParams(res.parameters)},`;
  const json = encoder.encode(`${head}"outputs":[${parts.join(',')}]}`);
  if (chunks.length === 0 && !res.outputs.some((o) => isBinary(o.name))) return { parts: [json], byteLength: json.byteLength };
  let total = json.byteLength;
  for (const c of chunks) total += c.byteLength;
  return { parts: [json, ...chunks], byteLength: total, headerLength: json.byteLength };
}

function outputHeader(out: NamedTensor, tail: string): string {
  return `{"name":${JSON.stringify(out.name)},"datatype":"${out.datatype}","shape":[${out.shape.join(',')}],${tail}}`;
}

function paramsWith(out: NamedTensor, size: number): string {
  const p = { ...(out.parameters ?? {}), binary_data_size: size };
  return stringifyParams(p);
}

function stringifyParams(p: Record<string, unknown>): string {
  return JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

export function outputBytes(t: NamedTensor): Uint8Array {
  return t.datatype === 'BYTES' ? serializeBytesTensor(t.data as Uint8Array[]) : tensorBytes(t.data as TypedArray);
}
