import type { ModelConfig } from '../config/gen/model_config_pb.ts';
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
export function reshapeInputs(config: ModelConfig, inputs: Map<string, Tensor>): Map<string, Tensor> {
  const withReshape = config.input.filter((i) => i.reshape && inputs.has(i.name));
  if (withReshape.length === 0) return inputs;
  const out = new Map(inputs);
  for (const io of withReshape) out.set(io.name, reshaped(inputs.get(io.name)!, io.reshape!.shape.map(Number), config.maxBatchSize > 0));
  return out;
}

/** Undoes output `reshape`s: clients see the config's `dims`. */
export function restoreOutput(config: ModelConfig, name: string, t: Tensor): Tensor {
  const io = config.output.find((o) => o.name === name);
  if (!io?.reshape) return t;
  return reshaped(t, io.dims.map(Number), config.maxBatchSize > 0);
}
