import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Schedulers end to end, through HTTP, with real onnxruntime sessions and JavaScript workers. */
const IO = `input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const WHO_JS = `let me;
export function initialize(args) { me = args.model_instance_name; }
export async function execute(requests) {
  await new Promise((r) => setTimeout(r, 150));
  return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 }, parameters: { instance: me } }));
}`;
const PICKY_JS = `export function execute(requests) {
  return requests.map((r) => r.inputs.INPUT0.data[0] === 0 ? { error: 'zeros are not welcome' } : { outputs: { OUTPUT0: r.inputs.INPUT0 } });
}`;
const INT_IO = 'input { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\n';
const WARMUP = (kind: string) =>
  `model_warmup [ { name: "w" batch_size: 1 count: 2 inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 2 ] ${kind} } } } ]\n`;

let t: TestServer;
beforeAll(async () => {
  const repo = tmpTree({
    'batched/config.pbtxt': `max_batch_size: 8\n${IO}dynamic_batching { max_queue_delay_microseconds: 50000 }\ninstance_group [ { count: 1 kind: KIND_CPU } ]\n`,
    'batched/1/model.onnx': addSubModel(),
    'three/config.pbtxt': `backend: "js"\n${INT_IO}instance_group [ { count: 3 kind: KIND_CPU } ]\n`,
    'three/1/model.js': WHO_JS,
    'gpu_fallback/config.pbtxt': `max_batch_size: 8\n${IO}instance_group [ { count: 1 kind: KIND_GPU gpus: [ 0 ] } ]\n`,
    'gpu_fallback/1/model.onnx': addSubModel(),
    'warm_zero/config.pbtxt': `backend: "js"\n${INT_IO}${WARMUP('random_data: true')}`,
    'warm_zero/1/model.js': PICKY_JS,
    'warm_file/config.pbtxt': `backend: "js"\n${INT_IO}${WARMUP('input_data_file: "ones.bin"')}`,
    'warm_file/warmup/ones.bin': new Uint8Array(new Int32Array([1, 1]).buffer),
    'warm_file/1/model.js': PICKY_JS,
    'warm_fails/config.pbtxt': `backend: "js"\n${INT_IO}${WARMUP('zero_data: true')}`,
    'warm_fails/1/model.js': PICKY_JS,
  });
  t = await startServer({ repositories: [repo], controlMode: 'explicit', startupModels: ['*'], exitOnError: false });
});
afterAll(() => t.stop());

describe('dynamic batching end to end', () => {
  it('concurrent requests are batched (execution_count < inference_count) with outputs identical to unbatched runs', async () => {
    const n = 16;
    const data = Array.from({ length: n }, (_, k) => ({
      a: Array.from({ length: 16 }, (_, i) => k * 100 + i),
      b: Array.from({ length: 16 }, (_, i) => (i % 3) - k),
    }));
    const send = ({ a, b }: { a: number[]; b: number[] }) =>
      t
        .request(
          '/v2/models/batched/infer',
          post({
            inputs: [
              { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
              { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: b },
            ],
          }),
        )
        .then((r) => r.json());
    const batched = await Promise.all(data.map(send));
    batched.forEach((res, k) => {
      expect(res.outputs[0].data).toEqual(data[k]!.a.map((x, i) => x + data[k]!.b[i]!));
      expect(res.outputs[1].data).toEqual(data[k]!.a.map((x, i) => x - data[k]!.b[i]!));
    });
    const stats = (await (await t.request('/v2/models/batched/stats')).json()).model_stats[0];
    expect(stats.inference_count).toBe(n);
    expect(stats.execution_count).toBeLessThan(n);
    expect(Math.max(...stats.batch_stats.map((b: { batch_size: number }) => b.batch_size))).toBeGreaterThan(1);
    const alone = [];
    for (const d of data.slice(0, 3)) alone.push(await send(d));
    expect(alone.map((r) => r.outputs)).toEqual(batched.slice(0, 3).map((r) => r.outputs));
  });
});

describe('instance groups', () => {
  it('each instance is its own worker; concurrent requests spread over them', async () => {
    const config = await (await t.request('/v2/models/three/config')).json();
    expect(config.instance_group).toEqual([expect.objectContaining({ name: 'three_0', kind: 'KIND_CPU', count: 3 })]);
    const results = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        t.request('/v2/models/three/infer', post({ inputs: [{ name: 'INPUT0', shape: [2], datatype: 'INT32', data: [i, i] }] })).then((r) => r.json()),
      ),
    );
    expect(new Set(results.map((r) => r.parameters.instance)).size).toBe(3);
  });

  it('KIND_GPU without a usable CUDA provider falls back to CPU and still serves', async () => {
    const config = await (await t.request('/v2/models/gpu_fallback/config')).json();
    expect(config.instance_group[0]).toMatchObject({ kind: 'KIND_GPU', gpus: [0], count: 1 });
    const meta = await (await t.request('/v2/models/gpu_fallback')).json();
    expect(meta.parameters).toEqual({ execution_provider: 'cpu', fallback_reason: 'KIND_GPU requested but tests run on CPU' });
    const x = Array.from({ length: 16 }, (_, i) => i);
    const res = await (
      await t.request(
        '/v2/models/gpu_fallback/infer',
        post({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
            { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
          ],
        }),
      )
    ).json();
    expect(res.outputs[0].data).toEqual(x.map((v) => 2 * v));
  });
});

describe('model warmup', () => {
  it('a model becomes READY after its warmup samples succeed; a failing warmup fails the load with the reason', async () => {
    const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
    const state = (name: string) => index.find((e: { name: string }) => e.name === name);
    expect(state('warm_zero')).toMatchObject({ state: 'READY' });
    expect(state('warm_file')).toMatchObject({ state: 'READY' });
    expect(state('warm_fails')).toEqual({
      name: 'warm_fails',
      version: '1',
      state: 'UNAVAILABLE',
      reason: "Invalid argument: model 'warm_fails' warmup 'w' failed on instance js-worker: model 'warm_fails' failed: zeros are not welcome",
    });
  });
});
