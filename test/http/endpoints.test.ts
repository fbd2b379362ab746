import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

const IO16 = (t = 'TYPE_FP32') => `input [ { name: "INPUT0" data_type: ${t} dims: [ 16 ] }, { name: "INPUT1" data_type: ${t} dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: ${t} dims: [ 16 ] }, { name: "OUTPUT1" data_type: ${t} dims: [ 16 ] } ]
`;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('health, metadata and config (NONE mode)', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({
      'add_sub/config.pbtxt': `max_batch_size: 8\n${IO16()}dynamic_batching { }\n`,
      'add_sub/1/model.onnx': addSubModel(),
      'add_sub/2/model.onnx': addSubModel(),
      'add_sub/3/model.onnx': addSubModel(),
      'add_sub/config.pbtxt.swp': 'junk',
      'versions_all/config.pbtxt': `max_batch_size: 8\n${IO16()}version_policy: { all { } }\n`,
      'versions_all/1/model.onnx': addSubModel(),
      'versions_all/2/model.onnx': addSubModel(),
      'versions_all/02/model.onnx': addSubModel(),
      'versions_specific/config.pbtxt': `max_batch_size: 8\n${IO16()}version_policy: { specific { versions: [1, 3] } }\n`,
      'versions_specific/1/model.onnx': addSubModel(),
      'versions_specific/2/model.onnx': addSubModel(),
      'versions_specific/3/model.onnx': addSubModel(),
      'auto/1/model.onnx': addSubModel({ dims: ['batch', 4] }),
      'fixed/1/model.onnx': identityModel('int32', [3, 2]),
    });
    t = await startServer({ repositories: [repo] });
  });
  afterAll(() => t.stop());

  it('live and ready have empty bodies', async () => {
    for (const p of ['/v2/health/live', '/v2/health/ready']) {
      const res = await t.request(p);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
    }
  });

  it('server metadata lists the extensions', async () => {
    const meta = await (await t.request('/v2')).json();
    expect(meta.name).toBe('nereid');
    expect(meta.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'classification', 'model_repository', 'statistics', 'model_configuration']));
  });

  it('model metadata: latest version by default, ready versions listed', async () => {
    expect(await (await t.request('/v2/models/add_sub')).json()).toEqual({
      name: 'add_sub',
      versions: ['3'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'FP32', shape: [-1, 16] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'FP32', shape: [-1, 16] },
        { name: 'OUTPUT1', datatype: 'FP32', shape: [-1, 16] },
      ],
      parameters: { execution_provider: 'cpu' },
    });
    expect((await (await t.request('/v2/models/versions_all')).json()).versions).toEqual(['1', '2']);
    expect((await (await t.request('/v2/models/versions_specific')).json()).versions).toEqual(['1', '3']);
    expect((await (await t.request('/v2/models/versions_all/versions/1')).json()).versions).toEqual(['1']);
    await expect(t.request('/v2/models/add_sub/versions/1').then((r) => r.status)).resolves.toBe(404);
  });

  it('model ready per version', async () => {
    expect((await t.request('/v2/models/add_sub/ready')).status).toBe(200);
    expect((await t.request('/v2/models/versions_specific/versions/3/ready')).status).toBe(200);
    expect((await t.request('/v2/models/versions_specific/versions/2/ready')).status).toBe(404);
  });

  it('a model without config is auto-completed, as Triton shows it', async () => {
    const c = await (await t.request('/v2/models/auto/config')).json();
    expect(Object.keys(c).slice(0, 12)).toEqual([
      'name',
      'platform',
      'backend',
      'runtime',
      'version_policy',
      'max_batch_size',
      'input',
      'output',
      'batch_input',
      'batch_output',
      'optimization',
      'dynamic_batching',
    ]);
    expect(c).toMatchObject({
      name: 'auto',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 4,
      dynamic_batching: {
        preferred_batch_size: [4],
        max_queue_delay_microseconds: 0,
        preserve_ordering: false,
        priority_levels: 0,
        default_priority_level: 0,
        priority_queue_policy: {},
      },
      instance_group: [{ name: 'auto', kind: 'KIND_CPU', count: 2, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '' }],
      default_model_filename: 'model.onnx',
      optimization: { input_pinned_memory: { enable: true }, output_pinned_memory: { enable: true } },
    });
    const names = c.input.map((i: { name: string }) => i.name).sort();
    expect(names).toEqual(['INPUT0', 'INPUT1']);
    expect(c.input[0]).toEqual({
      name: c.input[0].name,
      data_type: 'TYPE_FP32',
      format: 'FORMAT_NONE',
      dims: [4],
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
      is_non_linear_format_io: false,
    });
    const fixed = await (await t.request('/v2/models/fixed/config')).json();
    expect(fixed.max_batch_size).toBe(0);
    expect(fixed.dynamic_batching).toBeUndefined();
    expect(fixed.input[0].dims).toEqual([3, 2]);
  });

  it('repository index lists every model and version', async () => {
    const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
    expect(index).toEqual([
      { name: 'add_sub', version: '3', state: 'READY' },
      { name: 'auto', version: '1', state: 'READY' },
      { name: 'fixed', version: '1', state: 'READY' },
      { name: 'versions_all', version: '1', state: 'READY' },
      { name: 'versions_all', version: '2', state: 'READY' },
      { name: 'versions_specific', version: '1', state: 'READY' },
      { name: 'versions_specific', version: '3', state: 'READY' },
    ]);
  });
});

describe('strict readiness and exit-on-error', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({
      'good/config.pbtxt': `max_batch_size: 8\n${IO16()}`,
      'good/1/model.onnx': addSubModel(),
      'broken/config.pbtxt': 'max_batch_size: 8\ninput { name: "x" \n',
      'badmodel/config.pbtxt': `max_batch_size: 8\n${IO16()}`,
      'badmodel/1/model.onnx': new Uint8Array([1, 2, 3, 4]),
    });
    t = await startServer({ repositories: [repo], exitOnError: false });
  });
  afterAll(() => t.stop());

  it('a failed model makes the server not ready, and the index says why', async () => {
    expect((await t.request('/v2/health/live')).status).toBe(200);
    expect((await t.request('/v2/health/ready')).status).toBe(400);
    const index = await (await t.request('/v2/repository/index', post({}))).json();
    expect(index[0]).toEqual({
      name: 'badmodel',
      version: '1',
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/^Invalid argument: onnxruntime could not create a session for model 'badmodel'/),
    });
    expect(index[1]).toEqual({
      name: 'broken',
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/^Invalid argument: failed to read text proto from .*broken\/config\.pbtxt: line 3, column 1: /),
    });
    expect(index[2]).toEqual({ name: 'good', version: '1', state: 'READY' });
    const ready = await (await t.request('/v2/repository/index', post({ ready: true }))).json();
    expect(ready).toEqual([{ name: 'good', version: '1', state: 'READY' }]);
    expect((await t.request('/v2/models/good/ready')).status).toBe(200);
  });

  it('without strict readiness the server is ready with failed models', async () => {
    const repo = tmpTree({ 'bad/config.pbtxt': 'nonsense' });
    const t2 = await startServer({ repositories: [repo], exitOnError: false, strictReadiness: false });
    expect((await t2.request('/v2/health/ready')).status).toBe(200);
    await t2.stop();
  });

  it('with exit-on-error (the default) startup fails', async () => {
    const repo = tmpTree({ 'bad/config.pbtxt': 'nonsense' });
    await expect(startServer({ repositories: [repo] })).rejects.toMatchObject({ code: 'INTERNAL', message: 'failed to load all models' });
  });
});

describe('EXPLICIT mode: load and unload through the repository API', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({
      'add_sub/config.pbtxt': `max_batch_size: 8\n${IO16()}`,
      'add_sub/1/model.onnx': addSubModel(),
      'add_sub/2/model.onnx': addSubModel(),
      'broken/config.pbtxt': `max_batch_size: 8\n${IO16()}`,
      'broken/1/model.onnx': new Uint8Array([9, 9, 9]),
    });
    t = await startServer({ repositories: [repo], controlMode: 'explicit', startupModels: [] });
  });
  afterAll(() => t.stop());

  const index = async () => (await t.request('/v2/repository/index', { method: 'POST' })).json();

  it('starts with nothing loaded and is ready', async () => {
    expect((await t.request('/v2/health/ready')).status).toBe(200);
    expect(await index()).toEqual([{ name: 'add_sub' }, { name: 'broken' }]);
    expect((await t.request('/v2/models/add_sub')).status).toBe(404);
  });

  it('loads, is idempotent, and unloads', async () => {
    const res = await t.request('/v2/repository/models/add_sub/load', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await t.request('/v2/repository/models/add_sub/load', post({}))).status).toBe(200);
    expect(await index()).toEqual([{ name: 'add_sub', version: '2', state: 'READY' }, { name: 'broken' }]);
    expect((await t.request('/v2/repository/models/add_sub/unload', { method: 'POST' })).status).toBe(200);
    expect(await index()).toEqual([{ name: 'add_sub', version: '2', state: 'UNAVAILABLE', reason: 'unloaded' }, { name: 'broken' }]);
    expect((await t.request('/v2/health/ready')).status).toBe(200);
    const res2 = await t.request('/v2/models/add_sub/versions/2/ready');
    expect(res2.status).toBe(503);
    expect((await res2.json()).error).toBe("Request for unknown model: 'add_sub' version 2 is not at ready state");
    expect((await (await t.request('/v2/models/add_sub')).json()).error).toBe("Request for unknown model: 'add_sub' has no available versions");
    expect((await t.request('/v2/repository/models/never_heard_of/unload', { method: 'POST' })).status).toBe(200);
  });

  it('a config override changes what is loaded', async () => {
    const config = JSON.stringify({ max_batch_size: 8, version_policy: { specific: { versions: [1] } } });
    expect((await t.request('/v2/repository/models/add_sub/load', post({ parameters: { config } }))).status).toBe(200);
    expect((await (await t.request('/v2/models/add_sub')).json()).versions).toEqual(['1']);
    const bad = await t.request('/v2/repository/models/add_sub/load', post({ parameters: { config: '{"max_batch_size": 8, "bogus": 1}' } }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/^Invalid config override: /);
  });

  it('a failing model fails to load every time, truthfully', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.request('/v2/repository/models/broken/load', { method: 'POST' });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(
        /^load failed for model 'broken': version 1 is at UNAVAILABLE state: Invalid argument: onnxruntime could not create a session/,
      );
    }
    expect((await t.request('/v2/health/ready')).status).toBe(400);
    const missing = await t.request('/v2/repository/models/missing/load', { method: 'POST' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatch(/^failed to load 'missing', failed to poll from model repository/);
  });

  it('file: overrides load a new model from uploaded files, outside the repository', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('nereid-override-')).length;
    const config = JSON.stringify({
      backend: 'onnxruntime',
      max_batch_size: 0,
      input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [2] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2] }],
    });
    const res = await t.request('/v2/repository/models/uploaded/load', post({ parameters: { config, 'file:5/model.onnx': b64(identityModel('int32', [2])) } }));
    expect(res.status).toBe(200);
    const out = await (
      await t.request('/v2/models/uploaded/infer', post({ inputs: [{ name: 'INPUT0', shape: [2], datatype: 'INT32', data: [7, -7] }] }))
    ).json();
    expect(out).toMatchObject({ model_name: 'uploaded', model_version: '5', outputs: [{ name: 'OUTPUT0', data: [7, -7] }] });
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('nereid-override-')).length).toBe(before + 1);
    expect((await t.request('/v2/repository/models/uploaded/unload', { method: 'POST' })).status).toBe(200);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('nereid-override-')).length).toBe(before);
  });

  it('rejects unsafe names and file paths with 400', async () => {
    const config = JSON.stringify({ backend: 'onnxruntime' });
    for (const path of ['../evil.onnx', '/abs/model.onnx', '1\\model.onnx', '1/../../x']) {
      const res = await t.request('/v2/repository/models/add_sub/load', post({ parameters: { config, [`file:${path}`]: 'AA==' } }));
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(/^invalid file override path/);
    }
    const res = await t.request('/v2/repository/models/add_sub/load', post({ parameters: { 'file:1/model.onnx': 'AA==' } }));
    expect((await res.json()).error).toMatch(/a 'config' parameter is required/);
    const bad = await t.request('/v2/repository/models/..%2Fx/load', { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe("invalid model name '../x', model name must not contain path traversal characters");
    const empty = await t.request('/v2/repository/models/%20/load', { method: 'POST' });
    expect((await empty.json()).error).toBe('Model name cannot be empty. Please enter a valid name to deploy.');
  });
});
