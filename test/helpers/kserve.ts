/**
 * A minimal KServe v2 client encoder/decoder written for the tests, independently of the
 * server's codec, following the binary tensor extension as Triton's clients implement it.
 */
export type WireType = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES' | 'BF16';

export interface ClientInput {
  name: string;
  datatype: WireType;
  shape: number[];
  /** Raw little-endian bytes (binary) or JSON values. */
  bytes?: Uint8Array;
  data?: unknown[];
}

const enc = new TextEncoder();

export function bytesElements(items: (string | Uint8Array)[]): Uint8Array {
  const parts = items.map((s) => (typeof s === 'string' ? enc.encode(s) : s));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    dv.setUint32(off, p.length, true);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}

/** Builds a request body like tritonclient's http client: JSON header, then binary inputs in order. */
export function buildRequest(inputs: ClientInput[], extra: Record<string, unknown> = {}): { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const binaries: Uint8Array[] = [];
  const header = {
    ...extra,
    inputs: inputs.map((i) => {
      if (i.bytes) {
        binaries.push(i.bytes);
        return { name: i.name, shape: i.shape, datatype: i.datatype, parameters: { binary_data_size: i.bytes.length } };
      }
      return { name: i.name, shape: i.shape, datatype: i.datatype, data: i.data };
    }),
  };
  const json = enc.encode(JSON.stringify(header));
  if (binaries.length === 0) return { body: json, headers: { 'content-type': 'application/json' } };
  const total = json.length + binaries.reduce((n, b) => n + b.length, 0);
  const body = new Uint8Array(total);
  body.set(json, 0);
  let off = json.length;
  for (const b of binaries) {
    body.set(b, off);
    off += b.length;
  }
  return { body, headers: { 'inference-header-content-length': String(json.length), 'content-type': 'application/octet-stream' } };
}

export interface DecodedOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
  /** Raw bytes of a binary output. */
  bytes?: Uint8Array;
  parameters?: Record<string, unknown>;
}

export interface DecodedResponse {
  json: { id?: string; model_name: string; model_version: string; parameters?: Record<string, unknown>; outputs: DecodedOutput[] };
  outputs: Map<string, DecodedOutput>;
}

/** Parses a response body, slicing binary outputs after the JSON header. */
export async function readResponse(res: Response): Promise<DecodedResponse> {
  const buf = new Uint8Array(await res.arrayBuffer());
  const hl = res.headers.get('inference-header-content-length');
  const jsonLen = hl === null ? buf.length : Number(hl);
  const json = JSON.parse(new TextDecoder().decode(buf.subarray(0, jsonLen)));
  let off = jsonLen;
  const outputs = new Map<string, DecodedOutput>();
  for (const o of json.outputs as DecodedOutput[]) {
    const size = o.parameters?.binary_data_size as number | undefined;
    if (size !== undefined) {
      o.bytes = buf.slice(off, off + size);
      off += size;
    }
    outputs.set(o.name, o);
  }
  if (off !== buf.length) throw new Error(`response has ${buf.length - off} unread bytes`);
  return { json, outputs };
}

export const f32 = (b: Uint8Array): number[] => Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
export const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
