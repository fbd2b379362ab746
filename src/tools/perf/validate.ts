import { DATA_TYPES, deserializeBytesTensor, isDataType, viewBytes } from '../../core/index.ts';
import type { ModelInfo } from './model-info.ts';

/** One output of a response, whatever the protocol: raw little-endian bytes (binary HTTP, gRPC) or JSON values. */
export interface DecodedOutput {
  name: string;
  datatype: string;
  shape: number[];
  bytes?: Uint8Array;
  data?: unknown[];
}

const dec = new TextDecoder();
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Returns why a response's outputs do not fit the model (an unknown name, another datatype, a
 * shape the metadata does not allow, data of the wrong size, values other than `expected`, an
 * expected output missing), or undefined when they fit.
 */
export function validateOutputs(info: ModelInfo, outputs: readonly DecodedOutput[], expected?: Record<string, unknown[]>): string | undefined {
  const batch = info.maxBatchSize > 0 ? info.inputs[0]?.shape[0] : undefined;
  for (const out of outputs) {
    const meta = info.outputs.find((o) => o.name === out.name);
    if (!meta) return `unexpected output '${out.name}'`;
    if (out.datatype !== meta.datatype) return `output '${out.name}' has datatype ${out.datatype}, metadata says ${meta.datatype}`;
    const want = batch !== undefined ? [batch, ...meta.shape.slice(1)] : meta.shape;
    if (out.shape.length !== want.length || out.shape.some((d, i) => want[i] !== -1 && want[i] !== d)) {
      return `output '${out.name}' has shape [${out.shape.join(',')}], expected [${want.join(',')}]`;
    }
    const values = valuesOf(out, count(out.shape));
    if (typeof values === 'string') return `output '${out.name}' ${values}`;
    const wanted = expected?.[out.name];
    const mismatch = wanted && compare(values, wanted);
    if (mismatch) return `output '${out.name}' ${mismatch}`;
  }
  for (const name of Object.keys(expected ?? {})) {
    if (!outputs.some((o) => o.name === name)) return `output '${name}' is missing from the response`;
  }
  return undefined;
}

/** The output's `n` values (numbers, bigints as numbers, booleans, strings), or why its data does not hold `n` elements. */
function valuesOf(out: DecodedOutput, n: number): unknown[] | string {
  if (out.bytes === undefined) {
    if (out.data === undefined) return 'has no data';
    const data = out.data.flat(Infinity);
    return data.length === n ? data : `has ${data.length} elements, shape [${out.shape.join(',')}] needs ${n}`;
  }
  const bytes = out.bytes;
  if (!isDataType(out.datatype)) return `has an unknown datatype ${out.datatype}`;
  if (out.datatype === 'BYTES') {
    try {
      return deserializeBytesTensor(bytes, n, out.name, 'response').map((b) => dec.decode(b));
    } catch {
      return `is not a BYTES tensor of ${n} elements (${bytes.byteLength} bytes)`;
    }
  }
  const size = DATA_TYPES[out.datatype].size;
  if (bytes.byteLength !== n * size) return `has ${bytes.byteLength} bytes, shape [${out.shape.join(',')}] needs ${n * size}`;
  const typed = viewBytes(out.datatype, bytes);
  switch (out.datatype) {
    case 'BOOL':
      return Array.from(typed as Uint8Array, (b) => b !== 0);
    case 'FP16':
      return Array.from(typed as Uint16Array, fp16);
    case 'BF16':
      return Array.from(typed as Uint16Array, bf16);
    default:
      return Array.from(typed as ArrayLike<number | bigint>, Number);
  }
}

const f32 = new DataView(new ArrayBuffer(4));
function bf16(h: number): number {
  f32.setUint32(0, h << 16);
  return f32.getFloat32(0);
}

function fp16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function compare(got: unknown[], want: unknown[]): string | undefined {
  if (got.length !== want.length) return `has ${got.length} elements, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = typeof got[i] === 'boolean' && typeof want[i] === 'number' ? Number(got[i]) : got[i];
    const w = want[i];
    const bad = typeof g === 'number' && typeof w === 'number' ? Math.abs(g - w) > 1e-5 * Math.max(1, Math.abs(w)) : String(g) !== String(w);
    if (bad) return `element ${i} is ${String(g)}, expected ${String(w)}`;
  }
  return undefined;
}
