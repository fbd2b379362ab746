import { connectFailure } from './client.ts';
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
}

export class PerfError extends Error {
  override name = 'PerfError';
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new PerfError(connectFailure(url, e));
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new PerfError(`GET ${url}: HTTP ${res.status} ${(body as { error?: string }).error ?? ''}`.trim());
  return body as Record<string, unknown>;
}

/**
 * Reads model metadata and config (as perf_analyzer does) and resolves every input shape:
 * variable dimensions come from `--shape NAME:D1,D2`, the batch dimension from `-b`.
 */
export async function modelInfo(base: string, model: string, version: string | undefined, batch: number, shapes: Map<string, number[]>): Promise<ModelInfo> {
  const path = `${base}/v2/models/${encodeURIComponent(model)}${version ? `/versions/${version}` : ''}`;
  const meta = await getJson(path);
  const config = await getJson(`${path}/config`);
  const maxBatchSize = Number(config.max_batch_size ?? 0);
  if (batch > 1 && maxBatchSize === 0) throw new PerfError(`model '${model}' does not support batching (max_batch_size 0); use -b 1`);
  if (maxBatchSize > 0 && batch > maxBatchSize) throw new PerfError(`batch size ${batch} exceeds the model's max_batch_size ${maxBatchSize}`);
  const resolve = (t: { name: string; datatype: string; shape: number[] }): TensorMeta => {
    const dims = maxBatchSize > 0 ? t.shape.slice(1) : t.shape;
    const given = shapes.get(t.name);
    const resolved = given ?? dims;
    if (given && given.length !== dims.length) throw new PerfError(`--shape ${t.name} has ${given.length} dimensions, the model has ${dims.length}`);
    if (resolved.some((d) => d < 0))
      throw new PerfError(`input '${t.name}' has a variable shape [${t.shape.join(',')}]; give it with --shape ${t.name}:D1,D2,...`);
    return { name: t.name, datatype: t.datatype, shape: maxBatchSize > 0 ? [batch, ...resolved] : resolved };
  };
  const versions = meta.versions as string[] | undefined;
  return {
    name: model,
    version: version ?? versions?.[versions.length - 1] ?? '1',
    maxBatchSize,
    inputs: (meta.inputs as TensorMeta[]).map(resolve),
    outputs: (meta.outputs as TensorMeta[]).map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    sequence: config.sequence_batching !== undefined,
  };
}
