import type { ModelSpec } from '../config/model-spec.ts';
import type { Tensor } from '../types.ts';

/** Replaces a single -1 in `dims` so that the product equals `count`. */
function resolveDims(dims: readonly number[], count: number): number[] {
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  return dims.map((d) => (d === -1 ? (known === 0 ? 0 : count / known) : d));
}

function reshaped(t: Tensor, target: readonly number[], batching: boolean): Tensor {
  const rows = batching ? (t.shape[0] ?? 1) : 1;
  const perRow = rows === 0 ? 0 : t.data.length / rows;
  const dims = resolveDims(target, perRow);
  return { ...t, shape: batching ? [rows, ...dims] : dims };
}

/** Applies input `reshape`s: the backend sees the reshaped tensors. */
export function reshapeInputs(spec: ModelSpec, inputs: Map<string, Tensor>): Map<string, Tensor> {
  let out: Map<string, Tensor> | undefined;
  for (const [name, t] of inputs) {
    const target = spec.inputs.get(name)?.reshape;
    if (!target) continue;
    out ??= new Map(inputs);
    out.set(name, reshaped(t, target, spec.batching));
  }
  return out ?? inputs;
}

/** Undoes output `reshape`s: clients see the config's `dims`. */
export function restoreOutput(spec: ModelSpec, name: string, t: Tensor): Tensor {
  const io = spec.outputs.get(name);
  if (!io?.reshape) return t;
  return reshaped(t, io.dims, spec.batching);
}
