import type { ModelDescription } from './perf-client.ts';

/** What the load generator learns from the server about the model it measures. */
export interface TensorMeta {
  name: string;
  datatype: string;
  /** Shape as the client sends it, batch dimension included (the first dim is the batch for batching models). */
  shape: number[];
}

export interface ModelInfo {
  name: string;
  version: string;
  maxBatchSize: number;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  sequence: boolean;
  decoupled: boolean;
}

export class PerfError extends Error {
  override name = 'PerfError';
}

/**
 * Resolves every input shape of a described model (as perf_analyzer does): variable dimensions
 * come from `--shape NAME:D1,D2`, the batch dimension from `-b`.
 */
export function resolveModelInfo(d: ModelDescription, model: string, version: string | undefined, batch: number, shapes: Map<string, number[]>): ModelInfo {
  const maxBatchSize = d.maxBatchSize;
  if (batch > 1 && maxBatchSize === 0) throw new PerfError(`model '${model}' does not support batching (max_batch_size 0); use -b 1`);
  if (maxBatchSize > 0 && batch > maxBatchSize) throw new PerfError(`batch size ${batch} exceeds the model's max_batch_size ${maxBatchSize}`);
  const resolve = (t: TensorMeta): TensorMeta => {
    const dims = maxBatchSize > 0 ? t.shape.slice(1) : t.shape;
    const given = shapes.get(t.name);
    const resolved = given ?? dims;
    if (given && given.length !== dims.length) throw new PerfError(`--shape ${t.name} has ${given.length} dimensions, the model has ${dims.length}`);
    if (resolved.some((dim) => dim < 0))
      throw new PerfError(`input '${t.name}' has a variable shape [${t.shape.join(',')}]; give it with --shape ${t.name}:D1,D2,...`);
    return { name: t.name, datatype: t.datatype, shape: maxBatchSize > 0 ? [batch, ...resolved] : resolved };
  };
  return {
    name: model,
    version: version ?? d.versions?.[d.versions.length - 1] ?? '1',
    maxBatchSize,
    inputs: d.inputs.map(resolve),
    outputs: d.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    sequence: d.sequence,
    decoupled: d.decoupled,
  };
}
