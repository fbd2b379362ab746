import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** onnxruntime-web (WASM) under Node, chosen per model or with --execution-provider. */
const CFG = (extra = '') => `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
${extra}`;

let t: TestServer;
beforeAll(async () => {
  const repo = tmpTree({
    'native/config.pbtxt': CFG(),
    'native/1/model.onnx': addSubModel(),
    'wasm/config.pbtxt': CFG('parameters { key: "execution_provider" value: { string_value: "wasm" } }\n'),
    'wasm/1/model.onnx': addSubModel(),
    'webgpu/config.pbtxt': CFG('optimization { execution_accelerators { gpu_execution_accelerator [ { name: "webgpu" } ] } }\n'),
    'webgpu/1/model.onnx': addSubModel(),
  });
  t = await startServer({ repositories: [repo] });
});
afterAll(() => t.stop());

const X = Array.from({ length: 16 }, (_, i) => i / 4);
const infer = async (m: string) =>
  (
    await t.request(
      `/v2/models/${m}/infer`,
      post({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: X },
        ],
      }),
    )
  ).json();

describe('execution providers on Node', () => {
  it('runs each model where its config asks, and says where in metadata', async () => {
    const meta = async (m: string) => (await (await t.request(`/v2/models/${m}`)).json()).parameters;
    expect(await meta('native')).toEqual({ execution_provider: 'cpu' });
    expect(await meta('wasm')).toEqual({ execution_provider: 'wasm' });
    expect(await meta('webgpu')).toEqual({ execution_provider: 'wasm', fallback_reason: 'WebGPU requested but Node.js has no WebGPU' });
    for (const m of ['native', 'wasm', 'webgpu']) expect((await infer(m)).outputs[0].data, m).toEqual(X.map((x) => 2 * x));
  });
});
