import { countCopied } from '../stats/copies.ts';
import type { ExecRequest, ExecResult } from '../backend/backend.ts';
import { DATA_TYPES } from '../tensor/datatype.ts';
import type { Tensor, TensorData, TypedArray } from '../types.ts';

/**
 * Concatenates the inputs of several requests along the batch dimension. Requests must carry
 * the same input names with equal non-batch dimensions (the scheduler only groups such requests).
 */
export function mergeInputs(requests: readonly ExecRequest[]): Map<string, Tensor> {
  if (requests.length === 1) return requests[0]!.inputs;
  const merged = new Map<string, Tensor>();
  for (const [name, first] of requests[0]!.inputs) {
    const parts = requests.map((r) => r.inputs.get(name)!);
    const data = concat(
      parts.map((p) => p.data),
      first.datatype,
    );
    const inner = first.shape.slice(1).join(',');
    if (parts.some((p) => p.shape.slice(1).join(',') !== inner)) {
      // Only allow_ragged_batch inputs reach here with differing shapes: they go flattened.
      merged.set(name, { datatype: first.datatype, shape: [data.length], data });
      continue;
    }
    const batch = parts.reduce((n, t) => n + (t.shape[0] ?? 1), 0);
    merged.set(name, { datatype: first.datatype, shape: [batch, ...first.shape.slice(1)], data });
  }
  return merged;
}

function concat(parts: TensorData[], datatype: Tensor['datatype']): TensorData {
  if (datatype === 'BYTES') return (parts as Uint8Array[][]).flat();
  const ctor = DATA_TYPES[datatype].ctor!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new ctor(total);
  let off = 0;
  for (const p of parts) {
    (out as Uint8Array).set(p as Uint8Array, off);
    off += p.length;
  }
  countCopied((out as Uint8Array).byteLength);
  return out;
}

/** Splits batched outputs back per request along the batch dimension (views, no copies). */
export function splitOutputs(outputs: Map<string, Tensor>, requests: readonly ExecRequest[], batchSizes: readonly number[]): ExecResult[] {
  if (requests.length === 1) return [{ outputs: pick(outputs, requests[0]!.outputs) }];
  const results: ExecResult[] = requests.map(() => ({ outputs: new Map() }));
  for (const [name, t] of outputs) {
    const rows = t.shape[0] ?? 0;
    const total = batchSizes.reduce((a, b) => a + b, 0);
    const perRow = rows === 0 ? 0 : t.data.length / rows;
    let row = 0;
    requests.forEach((req, i) => {
      const b = batchSizes[i]!;
      if (req.outputs.includes(name)) {
        const data = rows === total ? slice(t.data, row * perRow, (row + b) * perRow) : t.data;
        results[i]!.outputs.set(name, { datatype: t.datatype, shape: rows === total ? [b, ...t.shape.slice(1)] : t.shape, data });
      }
      row += b;
    });
  }
  return results;
}

function slice(data: TensorData, from: number, to: number): TensorData {
  return Array.isArray(data) ? data.slice(from, to) : (data as TypedArray).subarray(from, to);
}

function pick(outputs: Map<string, Tensor>, names: readonly string[]): Map<string, Tensor> {
  if (outputs.size === names.length) return outputs;
  const out = new Map<string, Tensor>();
  for (const n of names) {
    const t = outputs.get(n);
    if (t) out.set(n, t);
  }
  return out;
}

/** Union of the requested outputs of a batch, in first-seen order. */
export function unionOutputs(requests: readonly ExecRequest[]): string[] {
  const names = new Set<string>();
  for (const r of requests) for (const n of r.outputs) names.add(n);
  return [...names];
}
