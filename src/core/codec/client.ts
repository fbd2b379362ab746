import { invalidArg } from '../errors.ts';
import { type EncodedResponse, joinParts } from './kserve-response.ts';

/** A tensor as a client sends it: JSON values, or raw little-endian bytes (binary extension). */
export interface ClientTensor {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON values (numbers, strings, booleans)... */
  data?: readonly unknown[];
  /** ...or the tensor's raw bytes, sent after the JSON header. */
  bytes?: Uint8Array;
}

export interface ClientRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: ClientTensor[];
  /** Output names (all outputs when absent). */
  outputs?: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The client's side of the KServe v2 body: a JSON header, then the binary inputs, as parts (the
 * header's length goes in Inference-Header-Content-Length when there is binary data).
 */
export function encodeClientRequest(req: ClientRequest): EncodedResponse {
  const binaries: Uint8Array[] = [];
  const header = {
    ...(req.id ? { id: req.id } : {}),
    ...(req.parameters && Object.keys(req.parameters).length > 0 ? { parameters: req.parameters } : {}),
    inputs: req.inputs.map((t) => {
      if (t.bytes) {
        binaries.push(t.bytes);
        return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.bytes.byteLength } };
      }
      return { name: t.name, datatype: t.datatype, shape: t.shape, data: t.data ?? [] };
    }),
    ...(req.outputs ? { outputs: req.outputs.map((name) => ({ name })) } : {}),
  };
  const json = enc.encode(JSON.stringify(header, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  const byteLength = binaries.reduce((n, b) => n + b.byteLength, json.byteLength);
  return binaries.length > 0 ? { parts: [json, ...binaries], byteLength, headerLength: json.byteLength } : { parts: [json], byteLength };
}

/** One buffer for a request or response body. */
export const bodyOf = (e: EncodedResponse): Uint8Array => joinParts(e.parts, e.byteLength);

export interface ClientOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
  parameters?: Record<string, unknown>;
  /** Binary outputs: their raw bytes (a view into the body). */
  bytes?: Uint8Array;
}

export interface ClientResponse {
  id?: string;
  model_name: string;
  model_version: string;
  parameters?: Record<string, unknown>;
  outputs: ClientOutput[];
}

/** Reads a KServe v2 response body: the JSON header, with each binary output's bytes attached. */
export function decodeClientResponse(body: Uint8Array, headerLength: number | null | undefined): ClientResponse {
  const jsonLength = headerLength ?? body.byteLength;
  if (jsonLength > body.byteLength) throw invalidArg(`response header length ${jsonLength} exceeds the body (${body.byteLength} bytes)`);
  const parsed = JSON.parse(dec.decode(body.subarray(0, jsonLength))) as ClientResponse;
  let at = jsonLength;
  for (const o of parsed.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    if (at + size > body.byteLength) throw invalidArg(`output '${o.name}' declares ${size} bytes but the body ends after ${body.byteLength - at}`);
    o.bytes = body.subarray(at, at + size);
    at += size;
  }
  return parsed;
}
