import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createLogger, type ModelSource, parseConfigText } from '../../src/core/index.ts';
import { placeInstance } from '../../src/platform/ort/node/backend.ts';
import { probeFeeds } from '../../src/platform/ort/node/ort-probe.ts';
import type { OrtTensorCtor } from '../../src/platform/ort/convert.ts';
import { addSubModel, mlpModel } from '../../src/tools/onnx/models.ts';

/** Where `execution_thread: auto` starts an instance: decided at load by a probe run in the probe thread. */
const Ctor = ort.Tensor as unknown as OrtTensorCtor;
const ADD_SUB = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

function source(name: string, configText: string) {
  const logs: string[] = [];
  const src = { name, namespace: '', version: 1, config: parseConfigText(configText), log: createLogger({ verbose: 1, write: (l) => logs.push(l) }) };
  return { src: src as unknown as ModelSource, logs };
}
const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };

describe('probe inputs', () => {
  it('are zeros shaped as the model sees them: reshape, else warm-up dims, else dims with variable ones 1', () => {
    const config = parseConfigText(`max_batch_size: 4
input [
  { name: "A" data_type: TYPE_FP32 dims: [ -1, 3 ] },
  { name: "B" data_type: TYPE_INT64 dims: [ 6 ] reshape: { shape: [ 2, 3 ] } },
  { name: "C" data_type: TYPE_STRING dims: [ -1 ] },
  { name: "D" data_type: TYPE_BOOL dims: [ 2 ] }
]
model_warmup [ { name: "w" batch_size: 3 inputs { key: "A" value: { data_type: TYPE_FP32 dims: [ 5, 3 ] zero_data: true } } } ]
`);
    const feeds = probeFeeds(Ctor, config);
    expect(Object.keys(feeds)).toEqual(['A', 'B', 'C', 'D']);
    expect(feeds.A).toMatchObject({ type: 'float32', dims: [3, 5, 3] });
    expect(Array.from(feeds.A!.data as Float32Array)).toEqual(Array(45).fill(0));
    expect(feeds.B).toMatchObject({ type: 'int64', dims: [3, 2, 3] });
    expect(Array.from(feeds.B!.data as BigInt64Array)).toEqual(Array(18).fill(0n));
    expect(feeds.C).toEqual({ type: 'string', dims: [3, 1], data: ['0', '0', '0'] });
    expect(feeds.D).toMatchObject({ type: 'bool', dims: [3, 2] });

    const unbatched = probeFeeds(Ctor, parseConfigText('input [ { name: "X" data_type: TYPE_FP16 dims: [ 2, -1 ] } ]'));
    expect(unbatched.X).toMatchObject({ type: 'float16', dims: [2, 1] });
  });
});

describe('placement of an auto instance', () => {
  it('keeps a model of microseconds on the JavaScript thread, and probes each model once', async () => {
    const { src, logs } = source('tiny', ADD_SUB);
    const placed = placeInstance(src, addSubModel(), options);
    expect(placeInstance(src, addSubModel(), options)).toBe(placed);
    expect(await placed).toBe('main');
    expect(logs).toEqual([expect.stringMatching(/model 'tiny': a probe run takes 0\.\d{3} ms; instances run on the JavaScript thread/)]);
  });

  it('starts a model of milliseconds in its own thread', async () => {
    // 16 rows through 8 layers of 1024 x 1024: about 134 M multiply-adds, far past microseconds.
    const { src, logs } = source(
      'mlp',
      `max_batch_size: 16
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1024 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 1024 ] } ]
model_warmup [ { name: "w" batch_size: 16 inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 1024 ] zero_data: true } } } ]
`,
    );
    expect(await placeInstance(src, mlpModel({ layers: 8, width: 1024 }), options)).toBe('worker');
    expect(logs).toEqual([expect.stringMatching(/model 'mlp': a probe run takes \d+\.\d+ ms; instances run in their own threads/)]);
  }, 60_000);

  it('starts a model the probe cannot run in its own thread, saying why', async () => {
    // The config names an input the model does not have: onnxruntime refuses the run.
    const { src, logs } = source('odd', ADD_SUB.replace('"INPUT1"', '"OTHER"'));
    expect(await placeInstance(src, addSubModel(), options)).toBe('worker');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/model 'odd': a probe run with zero inputs failed \(.*\); instances run in their own threads/);
  });
});
