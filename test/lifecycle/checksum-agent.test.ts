import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/tools/onnx/builder.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * The checksum repository agent on a real server (POLL mode, real onnxruntime sessions): a file
 * whose digest differs from its config fails that version's load, naming the file and both
 * digests; on a reload the version that serves keeps serving the old model until the config
 * names the new file's digest.
 */
const md5 = (d: Uint8Array | string) => createHash('md5').update(d).digest('hex');
const sha256 = (d: Uint8Array | string) => createHash('sha256').update(d).digest('hex');

/** OUTPUT0 = INPUT0 - INPUT1, OUTPUT1 = INPUT0 + INPUT1: the same tensors as add_sub, another result. */
function subAddModel(): Uint8Array {
  const g = new GraphBuilder('sub_add');
  g.input('INPUT0', 'float32', ['batch', 16]);
  g.input('INPUT1', 'float32', ['batch', 16]);
  g.node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT0']);
  g.node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT1']);
  g.output('OUTPUT0', 'float32', ['batch', 16]);
  g.output('OUTPUT1', 'float32', ['batch', 16]);
  return g.toBytes();
}

const IO = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const agents = (params: Record<string, string>, name = 'checksum') =>
  `model_repository_agents { agents [ { name: "${name}" ${Object.entries(params)
    .map(([k, v]) => `parameters { key: "${k}" value: "${v}" }`)
    .join(' ')} } ] }\n`;

const addSub = addSubModel();
const subAdd = subAddModel();
const A = Array.from({ length: 16 }, (_, i) => i * 3);
const B = Array.from({ length: 16 }, (_, i) => i);

let repo: string;
let t: TestServer;
beforeAll(async () => {
  repo = tmpTree({
    'm/config.pbtxt': IO + agents({ 'MD5:1/model.onnx': md5(addSub) }),
    'm/1/model.onnx': addSub,
    'sha/config.pbtxt': IO + agents({ 'SHA256:1/model.onnx': sha256(addSub), 'sha256:labels.txt': sha256('a\n') }),
    'sha/labels.txt': 'a\n',
    'sha/1/model.onnx': addSub,
    'bad/config.pbtxt': IO + agents({ 'MD5:1/model.onnx': md5(subAdd) }),
    'bad/1/model.onnx': addSub,
    'missing/config.pbtxt': IO + agents({ 'MD5:1/weights.bin': md5('w') }),
    'missing/1/model.onnx': addSub,
    'outside/config.pbtxt': IO + agents({ 'MD5:../m/1/model.onnx': md5(addSub) }),
    'outside/1/model.onnx': addSub,
    'agent/config.pbtxt': IO + agents({}, 'encryption'),
    'agent/1/model.onnx': addSub,
  });
  t = await startServer({ repositories: [repo], controlMode: 'poll', pollIntervalMs: 0, exitOnError: false });
});
afterAll(() => t.stop());

interface Entry {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}
const index = async (): Promise<Entry[]> => (await t.request('/v2/repository/index', { method: 'POST' })).json();
const entry = async (name: string) => (await index()).find((e) => e.name === name && e.version === '1');
const output0 = async (name: string): Promise<number[]> => {
  const res = await t.request(
    `/v2/models/${name}/infer`,
    post({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: A },
        { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: B },
      ],
    }),
  );
  expect(res.status).toBe(200);
  return (await res.json()).outputs.find((o: { name: string }) => o.name === 'OUTPUT0').data;
};
const sum = A.map((a, i) => a + B[i]!);
const diff = A.map((a, i) => a - B[i]!);

describe('checksum repository agent', () => {
  it('loads versions whose files match (MD5, SHA256, model-level files)', async () => {
    expect(await entry('m')).toMatchObject({ state: 'READY' });
    expect(await entry('sha')).toMatchObject({ state: 'READY' });
    expect(await output0('m')).toEqual(sum);
  });

  it('fails a version whose file does not match, naming the file, the expected and the actual digest', async () => {
    expect(await entry('bad')).toEqual({
      name: 'bad',
      version: '1',
      state: 'UNAVAILABLE',
      reason: `Invalid argument: Mismatched MD5 hash for file 1/model.onnx, expect: ${md5(subAdd)}, got: ${md5(addSub)}`,
    });
    expect((await entry('missing'))?.reason).toBe(`Invalid argument: Missing file 1/weights.bin for MD5 checksum, expect: ${md5('w')}`);
  });

  it('refuses keys outside the model directory and unknown agents', async () => {
    expect(await entry('outside')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: `Invalid argument: checksum key 'MD5:../m/1/model.onnx' of model 'outside' names a file outside the model directory`,
    });
    expect(await entry('agent')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: `Invalid argument: unknown model repository agent 'encryption' for model 'agent': Nereid implements only the 'checksum' agent`,
    });
  });

  it('POLL: a changed file with a stale checksum does not replace the serving version; the right checksum does', async () => {
    writeFileSync(join(repo, 'm/1/model.onnx'), subAdd);
    await t.server.manager.poll();
    const kept = await entry('m');
    expect(kept?.state).toBe('READY');
    expect(kept?.reason).toBe(
      `reload failed, previous version keeps serving: Invalid argument: Mismatched MD5 hash for file 1/model.onnx, expect: ${md5(addSub)}, got: ${md5(subAdd)}`,
    );
    expect(await output0('m')).toEqual(sum);
    writeFileSync(join(repo, 'm/config.pbtxt'), IO + agents({ 'MD5:1/model.onnx': md5(subAdd) }));
    await t.server.manager.poll();
    expect(await entry('m')).toEqual({ name: 'm', version: '1', state: 'READY' });
    expect(await output0('m')).toEqual(diff);
  });
});
