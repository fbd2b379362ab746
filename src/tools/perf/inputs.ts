import { byteSize, elementCount, isDataType } from '../../core/index.ts';
import type { ModelInfo, TensorMeta } from './model-info.ts';
import { PerfError } from './model-info.ts';
import type { RequestSpec } from './perf-client.ts';

/** Bytes per element of a fixed-size datatype; undefined for BYTES and names that are no datatype. */
const sizeOf = (dt: string): number | undefined => (isDataType(dt) && dt !== 'BYTES' ? byteSize(dt) : undefined);
const enc = new TextEncoder();

export type InputData = 'zero' | 'random' | { data: Record<string, unknown>[]; validation?: Record<string, unknown>[] };

/** Parses perf_analyzer's JSON input-data file: `{"data": [{"INPUT0": [..] | {"content": [..], "shape": [..]}}], "validation_data": [...]}`. */
export function parseInputFile(text: string): InputData {
  const json = JSON.parse(text) as { data?: Record<string, unknown>[]; validation_data?: Record<string, unknown>[] };
  if (!Array.isArray(json.data) || json.data.length === 0) throw new PerfError('input data file needs a non-empty "data" array');
  return { data: json.data, validation: json.validation_data };
}

/** Little-endian bytes for `n` elements of `datatype`: zeros or random values. */
function generated(t: TensorMeta, random: boolean): { bytes: Uint8Array; json: unknown[] } {
  const n = elementCount(t.shape);
  if (t.datatype === 'BYTES') {
    const items = Array.from({ length: n }, (_, i) => (random ? String(Math.floor(Math.random() * 1000)) : String(i % 10)));
    return { bytes: bytesTensor(items), json: items };
  }
  const size = sizeOf(t.datatype);
  if (!size) throw new PerfError(`cannot generate data for datatype ${t.datatype}`);
  const bytes = new Uint8Array(n * size);
  const dv = new DataView(bytes.buffer);
  const json: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = random ? Math.random() : 0;
    switch (t.datatype) {
      case 'FP32':
        dv.setFloat32(i * 4, v, true);
        json[i] = Math.fround(v);
        break;
      case 'FP64':
        dv.setFloat64(i * 8, v, true);
        json[i] = v;
        break;
      case 'BOOL':
        bytes[i] = v > 0.5 ? 1 : 0;
        json[i] = v > 0.5;
        break;
      default: {
        const int = random ? Math.floor(v * 100) : 0;
        if (size === 8) dv.setBigInt64(i * 8, BigInt(int), true);
        else if (size === 4) dv.setInt32(i * 4, int, true);
        else if (size === 2) dv.setInt16(i * 2, int, true);
        else dv.setInt8(i, int);
        json[i] = int;
      }
    }
  }
  return { bytes, json };
}

function bytesTensor(items: string[]): Uint8Array {
  const parts = items.map((s) => enc.encode(s));
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

function fromFile(t: TensorMeta, value: unknown): { bytes: Uint8Array; json: unknown[]; shape: number[] } {
  const obj = value as { content?: unknown[]; shape?: number[] } | unknown[];
  const content = (Array.isArray(obj) ? obj : obj?.content)?.flat(Infinity) as unknown[] | undefined;
  if (!content) throw new PerfError(`input data for '${t.name}' is missing`);
  const shape = Array.isArray(obj) ? t.shape : (obj.shape ?? t.shape);
  if (content.length !== elementCount(shape))
    throw new PerfError(`input data for '${t.name}' has ${content.length} elements, shape [${shape.join(',')}] needs ${elementCount(shape)}`);
  if (t.datatype === 'BYTES') return { bytes: bytesTensor(content.map(String)), json: content, shape };
  const g = generated({ ...t, shape }, false);
  const dv = new DataView(g.bytes.buffer);
  const size = sizeOf(t.datatype)!;
  content.forEach((v, i) => {
    const n = Number(v);
    if (t.datatype === 'FP32') dv.setFloat32(i * 4, n, true);
    else if (t.datatype === 'FP64') dv.setFloat64(i * 8, n, true);
    else if (t.datatype === 'BOOL') g.bytes[i] = v ? 1 : 0;
    else if (size === 8) dv.setBigInt64(i * 8, BigInt(Math.trunc(n)), true);
    else if (size === 4) dv.setInt32(i * 4, n, true);
    else if (size === 2) dv.setInt16(i * 2, n, true);
    else dv.setInt8(i, n);
  });
  return { bytes: g.bytes, json: content, shape };
}

/** The requests' data: one for zero/random data, one per entry of an input file (with its validation_data). */
export function requestSpecs(info: ModelInfo, data: InputData): RequestSpec[] {
  const samples = typeof data === 'string' ? [undefined] : data.data;
  return samples.map((sample, k) => ({
    inputs: info.inputs.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      ...(sample ? fromFile(t, sample[t.name]) : { ...generated(t, data === 'random'), shape: t.shape }),
    })),
    expected: expectedOf(data, k),
  }));
}

function expectedOf(data: InputData, k: number): Record<string, unknown[]> | undefined {
  if (typeof data === 'string' || !data.validation?.[k]) return undefined;
  const out: Record<string, unknown[]> = {};
  for (const [name, v] of Object.entries(data.validation[k]!)) {
    const content = (Array.isArray(v) ? v : (v as { content?: unknown[] }).content) ?? [];
    out[name] = content.flat(Infinity);
  }
  return out;
}
