import { invalidArg } from '../errors.ts';
import type { Tensor, TypedArray } from '../types.ts';

const encoder = new TextEncoder();
const ALLOWED = new Set(['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64']);
const MAX_ELEMENTS = 1_000_000;

/**
 * The classification extension: the top `k` entries of each batch row as BYTES strings
 * "<value>:<index>[:<label>]", values printed like C++ std::to_string.
 */
export function classify(t: Tensor, k: number, batching: boolean, labels: readonly string[] | undefined): Tensor {
  if (!ALLOWED.has(t.datatype)) throw invalidArg(`class result not available for output due to unsupported type '${t.datatype}'`);
  if (t.data.length > MAX_ELEMENTS) throw invalidArg('classification output tensor too large');
  const data = t.data as TypedArray;
  const rows = batching ? (t.shape[0] ?? 1) : 1;
  const perRow = rows === 0 ? 0 : data.length / rows;
  const take = Math.min(k, perRow);
  const float = t.datatype === 'FP32' || t.datatype === 'FP64';
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: perRow }, (_, i) => i);
    const base = r * perRow;
    idx.sort((a, b) => {
      const va = data[base + a]!;
      const vb = data[base + b]!;
      return va > vb ? -1 : va < vb ? 1 : a - b;
    });
    for (const i of idx.slice(0, take)) {
      const v = data[base + i]!;
      const value = float ? (v as number).toFixed(6) : String(v);
      const label = labels?.[i];
      out.push(encoder.encode(label !== undefined ? `${value}:${i}:${label}` : `${value}:${i}`));
    }
  }
  return { datatype: 'BYTES', shape: batching ? [rows, take] : [take], data: out };
}
