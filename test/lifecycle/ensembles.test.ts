import { describe, expect, it } from 'vitest';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Ensembles in EXPLICIT mode: dependency closure on load, cascades on unload, step data routing. */
const ADD_SUB = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 4 ] } ]
`;
const IDENTITY = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
`;

/**
 * pipeline: (A, B) → add_sub → (S = A+B, D = A-B) → add_sub again on (S, D) → (2A, 2B),
 * with an identity step copying S in parallel.
 */
const PIPELINE = `platform: "ensemble"
max_batch_size: 8
input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "TWO_A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "TWO_B" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling { step [
  { model_name: "add_sub" model_version: -1
    input_map { key: "INPUT0" value: "S" } input_map { key: "INPUT1" value: "D" }
    output_map { key: "OUTPUT0" value: "TWO_A" } output_map { key: "OUTPUT1" value: "TWO_B" } },
  { model_name: "identity" model_version: 1
    input_map { key: "INPUT0" value: "S" } output_map { key: "OUTPUT0" value: "SUM" } },
  { model_name: "add_sub" model_version: -1
    input_map { key: "INPUT0" value: "A" } input_map { key: "INPUT1" value: "B" }
    output_map { key: "OUTPUT0" value: "S" } output_map { key: "OUTPUT1" value: "D" } }
] }
`;

const repoFiles = () => ({
  'add_sub/config.pbtxt': ADD_SUB,
  'add_sub/1/model.onnx': addSubModel({ dims: ['batch', 4] }),
  'identity/config.pbtxt': IDENTITY,
  'identity/1/model.onnx': identityModel('float32', ['batch', 4]),
  'pipeline/config.pbtxt': PIPELINE,
  'pipeline/1/.keep': '',
  'cyclic/config.pbtxt': PIPELINE.replace('input_map { key: "INPUT1" value: "B" }', 'input_map { key: "INPUT1" value: "TWO_B" }').replace(
    'input_map { key: "INPUT0" value: "S" } output_map',
    'input_map { key: "INPUT0" value: "B" } output_map',
  ),
  'cyclic/1/.keep': '',
  'unused/config.pbtxt': PIPELINE.replace('input [ { name: "A"', 'input [ { name: "C" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "A"'),
  'unused/1/.keep': '',
  'missing_step/config.pbtxt': PIPELINE.replaceAll('"identity"', '"nowhere"'),
  'missing_step/1/.keep': '',
  'picky/config.pbtxt':
    'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\n',
  'picky/1/model.js':
    'export function execute(rs) { return rs.map((r) => { if (r.inputs.INPUT0.data[0] < 0) throw new Error("negative input"); return { outputs: { OUTPUT0: r.inputs.INPUT0 } }; }); }',
  'fragile/config.pbtxt': `platform: "ensemble"
input { name: "X" data_type: TYPE_INT32 dims: [ 1 ] }
output { name: "Y" data_type: TYPE_INT32 dims: [ 1 ] }
ensemble_scheduling { step { model_name: "picky" model_version: -1 input_map { key: "INPUT0" value: "X" } output_map { key: "OUTPUT0" value: "Y" } } }
`,
  'fragile/1/.keep': '',
  'wrong_type/config.pbtxt': PIPELINE.replace('input [ { name: "A" data_type: TYPE_FP32', 'input [ { name: "A" data_type: TYPE_INT32').replace(
    'wrong',
    'wrong',
  ),
  'wrong_type/1/.keep': '',
  'too_big/config.pbtxt': PIPELINE.replace('max_batch_size: 8', 'max_batch_size: 16'),
  'too_big/1/.keep': '',
  'bad_name/config.pbtxt': PIPELINE.replace('input_map { key: "INPUT0" value: "A" }', 'input_map { key: "NOPE" value: "A" }'),
  'bad_name/1/.keep': '',
});

async function withServer(fn: (t: TestServer) => Promise<void>) {
  const t = await startServer({ repositories: [tmpTree(repoFiles())], controlMode: 'explicit' });
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}

const index = async (t: TestServer) => (await (await t.request('/v2/repository/index', post({ ready: true }))).json()).map((e: { name: string }) => e.name);
const load = (t: TestServer, m: string, body: unknown = {}) => t.request(`/v2/repository/models/${m}/load`, post(body));
const unload = (t: TestServer, m: string, body: unknown = {}) => t.request(`/v2/repository/models/${m}/unload`, post(body));

describe('ensembles (EXPLICIT mode)', () => {
  it('loading an ensemble loads its composing models; steps run in dependency order', () =>
    withServer(async (t) => {
      expect((await load(t, 'pipeline')).status).toBe(200);
      expect(await index(t)).toEqual(['add_sub', 'identity', 'pipeline']);
      const A = [1, 2, 3, 4];
      const B = [10, -20, 0.5, 8];
      const res = await t.request(
        '/v2/models/pipeline/infer',
        post({
          inputs: [
            { name: 'A', shape: [1, 4], datatype: 'FP32', data: A },
            { name: 'B', shape: [1, 4], datatype: 'FP32', data: B },
          ],
        }),
      );
      const body = await res.json();
      expect(res.status).toBe(200);
      const out = Object.fromEntries(body.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data]));
      expect(out.TWO_A).toEqual(A.map((a) => 2 * a));
      expect(out.TWO_B).toEqual(B.map((b) => 2 * b));
      expect(out.SUM).toEqual(A.map((a, i) => a + B[i]!));
      expect((await (await t.request('/v2/models/pipeline')).json()).platform).toBe('ensemble');
      const stats = (await (await t.request('/v2/models/add_sub/stats')).json()).model_stats[0];
      expect(stats.inference_count).toBe(2);
    }));

  it('unloading a composing model unloads the ensembles that use it', () =>
    withServer(async (t) => {
      await load(t, 'pipeline');
      expect((await unload(t, 'identity')).status).toBe(200);
      expect(await index(t)).toEqual(['add_sub']);
      expect((await t.request('/v2/health/ready')).status).toBe(200);
      // An ensemble unloaded as a side effect is not reloaded when its composing model comes back.
      await load(t, 'identity');
      expect(await index(t)).toEqual(['add_sub', 'identity']);
    }));

  it('unload_dependents also unloads composing models loaded only for the ensemble', () =>
    withServer(async (t) => {
      await load(t, 'identity');
      await load(t, 'pipeline');
      expect((await unload(t, 'pipeline')).status).toBe(200);
      expect(await index(t)).toEqual(['add_sub', 'identity']);
      await load(t, 'pipeline');
      expect((await unload(t, 'pipeline', { parameters: { unload_dependents: true } })).status).toBe(200);
      expect(await index(t)).toEqual(['identity']);
    }));

  it('invalid ensembles fail to load with a clear reason', () =>
    withServer(async (t) => {
      const cyclic = await load(t, 'cyclic');
      expect(cyclic.status).toBe(400);
      expect((await cyclic.json()).error).toMatch(/ensemble 'cyclic' contains a cycle/);
      const unused = await load(t, 'unused');
      expect((await unused.json()).error).toMatch(/ensemble input 'C' for ensemble unused' is not used/);
      const missing = await load(t, 'missing_step');
      expect((await missing.json()).error).toMatch(/ensemble missing_step contains models that are not available or ambiguous: nowhere/);
    }));

  it('checks data types, shapes, names and batch sizes against the composing models', () =>
    withServer(async (t) => {
      const err = async (m: string) => (await (await load(t, m)).json()).error as string;
      expect(await err('wrong_type')).toMatch(
        /in ensemble wrong_type, ensemble tensor A: inconsistent data type: TYPE_INT32 is inferred from model wrong_type while TYPE_FP32 is inferred from model add_sub/,
      );
      expect(await err('too_big')).toMatch(
        /ensemble too_big allows maximum batch size 16, but it contains model add_sub which only allows maximum batch size to be 8/,
      );
      expect(await err('bad_name')).toMatch(/in ensemble bad_name, ensemble tensor A is mapped to non-existing input NOPE of model add_sub/);
    }));

  it('a failing step is named in the error', () =>
    withServer(async (t) => {
      await load(t, 'fragile');
      const ok = await t.request('/v2/models/fragile/infer', post({ inputs: [{ name: 'X', shape: [1], datatype: 'INT32', data: [3] }] }));
      expect((await ok.json()).outputs[0].data).toEqual([3]);
      const res = await t.request('/v2/models/fragile/infer', post({ inputs: [{ name: 'X', shape: [1], datatype: 'INT32', data: [-1] }] }));
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("in ensemble 'fragile', step 0 (model 'picky'): model 'picky': execute failed: negative input");
    }));
});
