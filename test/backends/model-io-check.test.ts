/**
 * A configuration that does not fit its ONNX model fails the load (the version is UNAVAILABLE with
 * Triton's reason, and strict readiness stays 400) instead of loading READY and failing every
 * request; configurations that do fit, through reshape, -1 wildcards and batch dimensions, load
 * and infer correctly. Real onnxruntime-node sessions behind a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/tools/onnx/builder.ts';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

const io = (kind: 'input' | 'output', name: string, type: string, dims: number[], extra = '') =>
  `${kind} [ { name: "${name}" data_type: ${type} dims: [ ${dims.join(', ')} ] ${extra} } ]\n`;
const addSubConfig = (opts: { batch?: number; in0?: string; in1?: string | null; type?: string; dims?: number[]; out1?: string } = {}) => {
  const { batch = 8, in0 = 'INPUT0', in1 = 'INPUT1', type = 'TYPE_FP32', dims = [16], out1 = 'OUTPUT1' } = opts;
  return (
    `max_batch_size: ${batch}\n` +
    io('input', in0, type, dims) +
    (in1 === null ? '' : io('input', in1, 'TYPE_FP32', [16])) +
    io('output', 'OUTPUT0', 'TYPE_FP32', [16]) +
    io('output', out1, 'TYPE_FP32', [16])
  );
};

interface Entry {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}
const index = async (t: TestServer): Promise<Entry[]> => (await t.request('/v2/repository/index', { method: 'POST' })).json();

describe('a configuration that does not fit its model fails the load', () => {
  const cases: { what: string; config: string; model?: Uint8Array; reason: RegExp }[] = [
    {
      what: 'a misspelled input name',
      config: addSubConfig({ in1: 'INPT1' }),
      reason: /^Invalid argument: unable to load model 'm', unexpected inference input 'INPT1', allowed inputs are: INPUT0, INPUT1$/,
    },
    {
      what: 'a wrong datatype',
      config: addSubConfig({ type: 'TYPE_INT32' }),
      reason: /^Invalid argument: unable to load model 'm', configuration expects datatype TYPE_INT32 for input 'INPUT0', model provides TYPE_FP32$/,
    },
    {
      what: 'wrong dims',
      config: addSubConfig({ dims: [8] }),
      reason:
        /^Invalid argument: model 'm', tensor 'INPUT0': the model expects 2 dimensions \(shape \[-1,16\]\) but the model configuration specifies 2 dimensions \(an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape \[-1,8\]\)$/,
    },
    {
      what: 'a wrong rank without batching',
      config: addSubConfig({ batch: 0, dims: [16] }),
      reason:
        /^Invalid argument: model 'm', tensor 'INPUT0': the model expects 2 dimensions \(shape \[-1,16\]\) but the model configuration specifies 1 dimensions \(shape \[16\]\)$/,
    },
    {
      what: 'a configured output the model lacks',
      config: addSubConfig({ out1: 'OUTPUT9' }),
      reason: /^Invalid argument: unable to load model 'm', unexpected inference output 'OUTPUT9', allowed outputs are: OUTPUT0, OUTPUT1$/,
    },
    {
      what: 'a model input missing from the config',
      config: addSubConfig({ in1: null }),
      reason:
        /^Invalid argument: unable to load model 'm', configuration expects 1 inputs, model provides 2: model input 'INPUT1' \(TYPE_FP32 \[-1,16\]\) is not in the configuration$/,
    },
    {
      what: 'batching on a model whose first dimension is fixed',
      config: addSubConfig(),
      model: addSubModel({ dims: [4, 16] }),
      reason:
        /^Invalid argument: model 'm', tensor 'INPUT0': for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is \[4,16\]$/,
    },
  ];

  it.each(cases)('$what', async ({ config, model, reason }) => {
    const repo = tmpTree({ 'm/config.pbtxt': config, 'm/1/model.onnx': model ?? addSubModel() });
    const t = await startServer({ repositories: [repo], exitOnError: false });
    try {
      const [entry] = await index(t);
      expect(entry).toEqual({ name: 'm', version: '1', state: 'UNAVAILABLE', reason: expect.stringMatching(reason) });
      expect((await t.request('/v2/health/ready')).status).toBe(400);
      expect((await t.request('/v2/models/m/ready')).status).not.toBe(200);
    } finally {
      await t.stop();
    }
  });
});

/** X + B, where B is an input with a default value ([10, 20]) held in an initializer. */
function defaultInputModel(): Uint8Array {
  const g = new GraphBuilder('default_input');
  g.input('X', 'float32', [2]);
  g.defaultInput('B', 'float32', [2], [10, 20]);
  g.node('Add', ['X', 'B'], ['Y']);
  g.output('Y', 'float32', [2]);
  return g.toBytes();
}

describe('configurations that fit their model load and infer correctly', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({
      // The model sees [batch, 2, 3]; clients send and receive [batch, 6].
      'reshape/config.pbtxt': `max_batch_size: 4\n${io('input', 'INPUT0', 'TYPE_FP32', [6], 'reshape: { shape: [ 2, 3 ] }')}${io('output', 'OUTPUT0', 'TYPE_FP32', [6], 'reshape: { shape: [ 2, 3 ] }')}`,
      'reshape/1/model.onnx': identityModel('float32', ['batch', 2, 3]),
      // -1 in the config against a fixed model dimension.
      'config_wild/config.pbtxt': `max_batch_size: 4\n${io('input', 'INPUT0', 'TYPE_FP32', [-1])}${io('output', 'OUTPUT0', 'TYPE_FP32', [-1])}`,
      'config_wild/1/model.onnx': identityModel('float32', ['batch', 3]),
      // A fixed config dimension against a dynamic model one, no batching, unnamed dynamic dims.
      'model_wild/config.pbtxt': `max_batch_size: 0\n${io('input', 'INPUT0', 'TYPE_FP32', [2, 3])}${io('output', 'OUTPUT0', 'TYPE_FP32', [2, 3])}`,
      'model_wild/1/model.onnx': identityModel('float32', [null, 'n']),
      // max_batch_size 1 on a model whose batch dimension is fixed at 1.
      'batch_one/config.pbtxt': `max_batch_size: 1\n${io('input', 'INPUT0', 'TYPE_FP32', [3])}${io('output', 'OUTPUT0', 'TYPE_FP32', [3])}`,
      'batch_one/1/model.onnx': identityModel('float32', [1, 3]),
      'bools/config.pbtxt': `max_batch_size: 2\n${io('input', 'INPUT0', 'TYPE_BOOL', [3])}${io('output', 'OUTPUT0', 'TYPE_BOOL', [3])}`,
      'bools/1/model.onnx': identityModel('bool', ['batch', 3]),
      'strings/config.pbtxt': `max_batch_size: 2\n${io('input', 'INPUT0', 'TYPE_STRING', [2])}${io('output', 'OUTPUT0', 'TYPE_STRING', [2])}`,
      'strings/1/model.onnx': identityModel('string', ['batch', 2]),
      // B has a default: it is no model input the config must list, and may be listed as optional.
      'default_omitted/config.pbtxt': io('input', 'X', 'TYPE_FP32', [2]) + io('output', 'Y', 'TYPE_FP32', [2]),
      'default_omitted/1/model.onnx': defaultInputModel(),
      'default_optional/config.pbtxt':
        io('input', 'X', 'TYPE_FP32', [2]) + io('input', 'B', 'TYPE_FP32', [2], 'optional: true') + io('output', 'Y', 'TYPE_FP32', [2]),
      'default_optional/1/model.onnx': defaultInputModel(),
      // Auto-complete, from a model with unnamed dynamic dimensions.
      'auto/1/model.onnx': identityModel('float32', [null, 4]),
    });
    t = await startServer({ repositories: [repo], exitOnError: false });
  });
  afterAll(() => t.stop());

  const infer = async (model: string, inputs: unknown[]) => {
    const r = await t.request(`/v2/models/${model}/infer`, post({ inputs }));
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).toBe(200);
    return body.outputs as { name: string; shape: number[]; data: unknown[] }[];
  };

  it('every model is READY and the server is ready', async () => {
    const entries = await index(t);
    expect(entries.filter((e) => e.state !== 'READY')).toEqual([]);
    expect(entries).toHaveLength(9);
    expect((await t.request('/v2/health/ready')).status).toBe(200);
  });

  it('reshape: the model gets [2, 3] and the client sees [6]', async () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const [out] = await infer('reshape', [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 6], data: x }]);
    expect(out).toMatchObject({ name: 'OUTPUT0', shape: [2, 6], data: x });
  });

  it('-1 wildcards on either side', async () => {
    expect((await infer('config_wild', [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }]))[0]).toMatchObject({
      shape: [1, 3],
      data: [1, 2, 3],
    });
    expect((await infer('model_wild', [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: [6, 5, 4, 3, 2, 1] }]))[0]).toMatchObject({
      shape: [2, 3],
      data: [6, 5, 4, 3, 2, 1],
    });
  });

  it('a fixed batch dimension of 1 with max_batch_size 1', async () => {
    expect((await infer('batch_one', [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3], data: [7, 8, 9] }]))[0]).toMatchObject({
      shape: [1, 3],
      data: [7, 8, 9],
    });
  });

  it('BOOL and BYTES (ONNX string) tensors', async () => {
    expect((await infer('bools', [{ name: 'INPUT0', datatype: 'BOOL', shape: [1, 3], data: [true, false, true] }]))[0]).toMatchObject({
      datatype: 'BOOL',
      data: [true, false, true],
    });
    expect((await infer('strings', [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 2], data: ['ab', 'c'] }]))[0]).toMatchObject({
      datatype: 'BYTES',
      data: ['ab', 'c'],
    });
  });

  it('an input with a default value need not be configured', async () => {
    const expected = [1 + 10, 2 + 20];
    for (const m of ['default_omitted', 'default_optional']) {
      expect((await infer(m, [{ name: 'X', datatype: 'FP32', shape: [2], data: [1, 2] }]))[0], m).toMatchObject({ name: 'Y', data: expected });
    }
  });

  it('auto-complete writes -1 for unnamed dynamic dimensions, and the config serves', async () => {
    const config = await (await t.request('/v2/models/auto/config')).json();
    expect(config.max_batch_size).toBe(4);
    expect(config.input).toMatchObject([{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }]);
    const [out] = await infer('auto', [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }]);
    expect(out).toMatchObject({ shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] });
  });
});
