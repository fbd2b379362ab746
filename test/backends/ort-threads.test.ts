import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type ModelSource } from '../../src/core/index.ts';
import { instanceThread } from '../../src/platform/ort/node/backend.ts';
import { GraphBuilder } from '../../src/tools/onnx/builder.ts';
import { addSubModel, mlpModel, mulberry32 } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Where onnxruntime-node instances run (config parameter execution_thread), and session tuning parameters. */
const param = (k: string, v: string) => `parameters { key: "${k}" value { string_value: "${v}" } }\n`;
const ADD_SUB = (extra = '') => `backend: "onnxruntime"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
instance_group [ { count: 2 kind: KIND_CPU } ]
${extra}`;
const WIDTH = 1024;
const mlp = mlpModel({ layers: 8, width: WIDTH });

/**
 * OUTPUT0 = the sum of X broadcast to SHAPE: microseconds for the probe's zeros (an empty
 * tensor), milliseconds once a client asks for millions of elements.
 */
function growingModel(): Uint8Array {
  const g = new GraphBuilder('growing');
  g.input('X', 'float32', [1]);
  g.input('SHAPE', 'int64', [2]);
  const wide = g.node('Expand', ['X', 'SHAPE'], ['wide']);
  g.node('ReduceSum', [wide], ['OUTPUT0'], { keepdims: 1 });
  g.output('OUTPUT0', 'float32', [1, 1]);
  return g.toBytes();
}

let t: TestServer;
const logs: string[] = [];
beforeAll(async () => {
  const repo = tmpTree({
    'on_main/config.pbtxt': ADD_SUB(param('execution_thread', 'main')),
    'on_main/1/model.onnx': addSubModel(),
    'in_worker/config.pbtxt': ADD_SUB(param('execution_thread', 'worker') + param('intra_op_thread_count', '1') + param('allow_spinning', '1')),
    'in_worker/1/model.onnx': addSubModel(),
    'auto_tiny/config.pbtxt': ADD_SUB(),
    'auto_tiny/1/model.onnx': addSubModel(),
    'auto_mlp/config.pbtxt': `backend: "onnxruntime"\nmax_batch_size: 64\ninstance_group [ { count: 1 kind: KIND_CPU } ]\n`,
    'auto_mlp/1/model.onnx': mlp,
    'auto_growing/config.pbtxt': `backend: "onnxruntime"\ninstance_group [ { count: 1 kind: KIND_CPU } ]\n`,
    'auto_growing/1/model.onnx': growingModel(),
    'bad_thread/config.pbtxt': ADD_SUB(param('execution_thread', 'gpu')),
    'bad_thread/1/model.onnx': addSubModel(),
    'bad_count/config.pbtxt': ADD_SUB(param('intra_op_thread_count', 'many')),
    'bad_count/1/model.onnx': addSubModel(),
    'bad_spin/config.pbtxt': ADD_SUB(param('allow_spinning', 'yes')),
    'bad_spin/1/model.onnx': addSubModel(),
  });
  t = await startServer({ repositories: [repo], exitOnError: false, log: createLogger({ write: (line) => logs.push(line) }) });
});
afterAll(() => t.stop());

const rows = (seed: number, n: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n * 16 }, () => Math.round(r() * 1000) / 8);
};
async function addSub(model: string, a: number[], b: number[]) {
  const n = a.length / 16;
  const res = await t.request(
    `/v2/models/${model}/infer`,
    post({
      inputs: [
        { name: 'INPUT0', shape: [n, 16], datatype: 'FP32', data: a },
        { name: 'INPUT1', shape: [n, 16], datatype: 'FP32', data: b },
      ],
    }),
  );
  expect(res.status, await res.clone().text()).toBe(200);
  const body = await res.json();
  return Object.fromEntries(body.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data]));
}

describe('where onnxruntime-node instances run', () => {
  it.each(['on_main', 'in_worker', 'auto_tiny'])('%s computes every request from its own inputs, concurrently', async (model) => {
    const jobs = Array.from({ length: 24 }, (_, i) => {
      const a = rows(i + 1, 1 + (i % 3));
      const b = rows(100 + i, 1 + (i % 3));
      return addSub(model, a, b).then((out) => ({ a, b, out }));
    });
    for (const { a, b, out } of await Promise.all(jobs)) {
      expect(out.OUTPUT0).toEqual(a.map((x, k) => x + b[k]!));
      expect(out.OUTPUT1).toEqual(a.map((x, k) => x - b[k]!));
    }
  });

  it('auto keeps a model of microseconds on the main thread', async () => {
    for (let i = 0; i < 40; i++) await addSub('auto_tiny', rows(i, 1), rows(i + 7, 1));
    expect(logs.filter((l) => l.includes("'auto_tiny'") && l.includes('own thread'))).toEqual([]);
  });

  it('auto starts a model of milliseconds in its own thread at load, and its answers stay those of onnxruntime', async () => {
    // Decided by the probe run at load, before any request.
    expect(logs.filter((l) => l.includes("model 'auto_mlp'") && l.includes('thread'))).toEqual([
      expect.stringMatching(/model 'auto_mlp': a probe run takes \d+\.\d+ ms; instances run in their own threads/),
    ]);
    const r = mulberry32(5);
    const x = Float32Array.from({ length: 16 * WIDTH }, () => r() - 0.5);
    const direct = await ort.InferenceSession.create(mlp);
    const want = (await direct.run({ INPUT0: new ort.Tensor('float32', x, [16, WIDTH]) })).OUTPUT0!.data as Float32Array;
    await direct.release();
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [16, WIDTH], datatype: 'FP32', data: Array.from(x) }] });
    for (let i = 0; i < 5; i++) {
      const res = await t.request('/v2/models/auto_mlp/infer', post(body));
      expect(res.status).toBe(200);
      expect(Float32Array.from((await res.json()).outputs[0].data as number[])).toEqual(want);
    }
    expect(logs.some((l) => l.includes("'auto_mlp'") && l.includes('moving the instance'))).toBe(false);
  }, 120_000);

  it('auto still moves an instance to its own thread when its runs turn slow after a fast probe', async () => {
    const side = 3000;
    const run = async () => {
      const res = await t.request(
        '/v2/models/auto_growing/infer',
        post({
          inputs: [
            { name: 'X', shape: [1], datatype: 'FP32', data: [0.25] },
            { name: 'SHAPE', shape: [2], datatype: 'INT64', data: [side, side] },
          ],
        }),
      );
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()).outputs[0].data as number[];
    };
    const moved = () => logs.some((l) => l.includes("model 'auto_growing': runs take") && l.includes('moving the instance to its own thread'));
    expect(logs.filter((l) => l.includes("'auto_growing'") && l.includes('own thread'))).toEqual([]);
    for (let i = 0; i < 40 && !moved(); i++) expect(await run()).toEqual([0.25 * side * side]);
    expect(moved()).toBe(true);
    // Answers after the move come from the instance's own thread.
    for (let i = 0; i < 3; i++) expect(await run()).toEqual([0.25 * side * side]);
  }, 120_000);

  it('refuses bad threading parameters with the reason in the index', async () => {
    const index = (await (await t.request('/v2/repository/index', { method: 'POST' })).json()) as { name: string; state: string; reason: string }[];
    const reason = (name: string) => index.find((e) => e.name === name);
    expect(reason('bad_thread')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringContaining("parameter execution_thread must be 'auto', 'main' or 'worker', got 'gpu'"),
    });
    expect(reason('bad_count')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringContaining("parameter intra_op_thread_count must be a whole number from 0 to 1024, got 'many'"),
    });
    expect(reason('bad_spin')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringContaining("parameter allow_spinning must be '0' or '1', got 'yes'"),
    });
  });
});

describe('default thread of an instance', () => {
  const source = (value?: string) =>
    ({ name: 'm', config: { parameters: value === undefined ? {} : { execution_thread: { stringValue: value } } } }) as unknown as ModelSource;
  const cuda = { executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'] };
  const cpu = { executionProviders: ['cpu'] };

  it('runs CUDA instances on their own thread unless the config or the server says otherwise', () => {
    expect(instanceThread(source(), cuda)).toBe('worker');
    expect(instanceThread(source(), cpu)).toBe('auto');
    expect(instanceThread(source('main'), cuda)).toBe('main');
    expect(instanceThread(source(), cuda, 'auto')).toBe('auto');
    expect(instanceThread(source('worker'), cpu, 'main')).toBe('worker');
  });
});
