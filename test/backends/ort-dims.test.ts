/**
 * Dynamic dimensions as both onnxruntime packages report them become -1 (one mapping for both),
 * so auto-complete writes -1 for them on onnxruntime-web (WASM under Node) as on onnxruntime-node,
 * and the config check runs on onnxruntime-web too.
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ortDim, tensorSpecs } from '../../src/platform/ort/session-backend.ts';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

describe('ortDim', () => {
  it.each([
    [16, 16],
    [1, 1],
    [0, 0],
    [2 ** 31 - 1, 2 ** 31 - 1],
    [-1, -1],
    [-7, -1],
    ['', -1],
    ['batch', -1],
    [4294967295, -1],
    [2 ** 31, -1],
    [1.5, -1],
    [Number.NaN, -1],
    [undefined, -1],
  ])('%s → %s', (d, want) => expect(ortDim(d)).toBe(want));
});

describe('tensorSpecs on real sessions', () => {
  // Unnamed dynamic, named dynamic, fixed.
  const model = identityModel('float32', [null, 'n', 3]);
  it.each([
    ['onnxruntime-node', ortNode.InferenceSession],
    ['onnxruntime-web', ortWeb.InferenceSession],
  ] as const)('%s', async (_, InferenceSession) => {
    const session = await InferenceSession.create(model);
    try {
      expect(tensorSpecs(session.inputMetadata)).toEqual([{ name: 'INPUT0', datatype: 'FP32', dims: [-1, -1, 3] }]);
      expect(tensorSpecs(session.outputMetadata)).toEqual([{ name: 'OUTPUT0', datatype: 'FP32', dims: [-1, -1, 3] }]);
    } finally {
      await session.release();
    }
  });
});

describe('onnxruntime-web (WASM under Node)', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({
      // No config: auto-complete from a model whose batch dimension has neither a size nor a name.
      'auto/1/model.onnx': addSubModel({ dims: [null, 4] }),
      'auto_2d/1/model.onnx': identityModel('float32', [null, null]),
      'misspelled/config.pbtxt': `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "INPT1" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 4 ] } ]`,
      'misspelled/1/model.onnx': addSubModel({ dims: [null, 4] }),
    });
    t = await startServer({ repositories: [repo], executionProvider: 'wasm', exitOnError: false });
  });
  afterAll(() => t.stop());

  it('auto-complete writes -1 for unnamed dynamic dimensions, and the model serves', async () => {
    const config = await (await t.request('/v2/models/auto/config')).json();
    expect(config.max_batch_size).toBe(4);
    expect(config.input.map((i: { dims: number[] }) => i.dims)).toEqual([[4], [4]]);
    expect(config.output.map((i: { dims: number[] }) => i.dims)).toEqual([[4], [4]]);
    const a = [1, 2, 3, 4, 5, 6, 7, 8];
    const b = [8, 7, 6, 5, 4, 3, 2, 1];
    const r = await t.request(
      '/v2/models/auto/infer',
      post({
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [2, 4], data: a },
          { name: 'INPUT1', datatype: 'FP32', shape: [2, 4], data: b },
        ],
      }),
    );
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.outputs.find((o: { name: string }) => o.name === 'OUTPUT0')).toMatchObject({ shape: [2, 4], data: a.map((x, i) => x + b[i]!) });
    expect(body.outputs.find((o: { name: string }) => o.name === 'OUTPUT1')).toMatchObject({ shape: [2, 4], data: a.map((x, i) => x - b[i]!) });
    expect((await (await t.request('/v2/models/auto')).json()).parameters).toEqual({ execution_provider: 'wasm' });
  });

  it('every dimension unnamed: dims [-1] behind the batch dimension', async () => {
    const config = await (await t.request('/v2/models/auto_2d/config')).json();
    expect(config).toMatchObject({ max_batch_size: 4, input: [{ dims: [-1] }], output: [{ dims: [-1] }] });
    const r = await t.request('/v2/models/auto_2d/infer', post({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 5], data: [5, 4, 3, 2, 1] }] }));
    expect((await r.json()).outputs[0]).toMatchObject({ shape: [1, 5], data: [5, 4, 3, 2, 1] });
  });

  it('a config that does not fit the model fails the load here too', async () => {
    const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
    expect(index.find((e: { name: string }) => e.name === 'misspelled')).toEqual({
      name: 'misspelled',
      version: '1',
      state: 'UNAVAILABLE',
      reason: "Invalid argument: unable to load model 'misspelled', unexpected inference input 'INPT1', allowed inputs are: INPUT0, INPUT1",
    });
    expect((await t.request('/v2/health/ready')).status).toBe(400);
  });
});
