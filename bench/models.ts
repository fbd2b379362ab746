// Benchmark models and repositories, generated (never downloaded).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convModel, mlpModel, addSubModel } from '../src/tools/onnx/models.ts';
import { writeTree } from '../test/helpers/tmp-tree.ts';

export interface BenchModel {
  /** Short id used in tables. */
  id: 'tiny' | 'mlp' | 'conv';
  title: string;
  onnx: Uint8Array;
  /** Inputs as (name, dims without batch) — all FP32. */
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  maxBatch: number;
}

export function benchModels(quick: boolean): BenchModel[] {
  const width = quick ? 256 : 1024;
  return [
    {
      id: 'tiny',
      title: 'tiny: 16-float add/sub (overhead-bound)',
      onnx: addSubModel(),
      inputs: [
        { name: 'INPUT0', dims: [16] },
        { name: 'INPUT1', dims: [16] },
      ],
      outputs: [
        { name: 'OUTPUT0', dims: [16] },
        { name: 'OUTPUT1', dims: [16] },
      ],
      maxBatch: 64,
    },
    {
      id: 'mlp',
      title: `MLP: 8 × MatMul ${width}×${width} + ReLU (compute-bound)`,
      onnx: mlpModel({ layers: 8, width }),
      inputs: [{ name: 'INPUT0', dims: [width] }],
      outputs: [{ name: 'OUTPUT0', dims: [width] }],
      maxBatch: 64,
    },
    {
      id: 'conv',
      title: 'CNN: 2 × Conv 3×3 on 3×32×32, pooling, Gemm to 10',
      onnx: convModel(),
      inputs: [{ name: 'INPUT0', dims: [3, 32, 32] }],
      outputs: [{ name: 'OUTPUT0', dims: [10] }],
      maxBatch: 64,
    },
  ];
}

const io = (kind: 'input' | 'output', list: { name: string; dims: number[] }[]) =>
  `${kind} [ ${list.map((t) => `{ name: "${t.name}" data_type: TYPE_FP32 dims: [ ${t.dims.join(', ')} ] }`).join(', ')} ]\n`;

/** A repository with the model twice: `plain` (default scheduler) and `batched` (dynamic batching). */
export function benchRepository(m: BenchModel, delayUs: number, extraConfig = ''): string {
  const root = mkdtempSync(join(tmpdir(), `nereid-bench-${m.id}-`));
  const base = `platform: "onnxruntime_onnx"\nmax_batch_size: ${m.maxBatch}\n${io('input', m.inputs)}${io('output', m.outputs)}instance_group [ { count: 1 kind: KIND_CPU } ]\n${extraConfig}`;
  writeTree(root, {
    'plain/config.pbtxt': base,
    'plain/1/model.onnx': m.onnx,
    'batched/config.pbtxt': `${base}dynamic_batching { max_queue_delay_microseconds: ${delayUs} }\n`,
    'batched/1/model.onnx': m.onnx,
  });
  return root;
}
