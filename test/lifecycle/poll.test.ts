import { readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, classifierModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree, writeTree } from '../helpers/tmp.ts';

/** POLL mode against a real temporary repository that the tests edit between polls. */
const CFG = (extra = '') => `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
${extra}`;
const CLS = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 5 ] label_filename: "labels.txt" } ]
`;
const SLOW_JS = `export async function execute(requests) {
  await new Promise((r) => setTimeout(r, 400));
  return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } }));
}`;
const SLOW_CFG =
  'backend: "js"\nversion_policy: { all { } }\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\n';

let repo: string;
let t: TestServer;
beforeAll(async () => {
  repo = tmpTree({
    'a/config.pbtxt': CFG(),
    'a/1/model.onnx': addSubModel(),
    'cls/config.pbtxt': CLS,
    'cls/labels.txt': 'cat\ndog\nbird\nfish\nhorse\n',
    'cls/1/model.onnx': classifierModel(),
    'slow/config.pbtxt': SLOW_CFG,
    'slow/1/model.js': SLOW_JS,
    'slow/2/model.js': SLOW_JS,
  });
  t = await startServer({ repositories: [repo], controlMode: 'poll' });
});
afterAll(() => t.stop());

const X = Array.from({ length: 16 }, (_, i) => i);
const inferA = (name = 'a', version?: number) =>
  t.request(
    `/v2/models/${name}${version ? `/versions/${version}` : ''}/infer`,
    post({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X },
        { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: X },
      ],
    }),
  );
const index = async () => (await t.request('/v2/repository/index', { method: 'POST' })).json();
const count = async (name: string) => {
  const s = await (await t.request(`/v2/models/${name}/stats`)).json();
  return s.model_stats.reduce((n: number, m: { inference_count: number }) => n + m.inference_count, 0);
};

describe('POLL mode', () => {
  it('the load API answers 503', async () => {
    const res = await t.request('/v2/repository/models/a/load', { method: 'POST' });
    expect(res.status).toBe(503);
  });

  it('a new model directory is loaded and a removed one unloaded', async () => {
    writeTree(repo, { 'b/config.pbtxt': CFG(), 'b/1/model.onnx': addSubModel() });
    await t.server.manager.poll();
    expect((await inferA('b')).status).toBe(200);
    rmSync(join(repo, 'b'), { recursive: true });
    await t.server.manager.poll();
    expect((await index()).map((e: { name: string }) => e.name)).not.toContain('b');
    const res = await inferA('b');
    expect(res.status).toBe(404);
  });

  it('version directories follow the version policy', async () => {
    writeTree(repo, { 'a/2/model.onnx': addSubModel() });
    await t.server.manager.poll();
    expect((await index()).filter((e: { name: string }) => e.name === 'a')).toEqual([
      { name: 'a', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'a', version: '2', state: 'READY' },
    ]);
    const old = await inferA('a', 1);
    expect(old.status).toBe(503);
    expect((await old.json()).error).toBe("Request for unknown model: 'a' version 1 is not at ready state");
    rmSync(join(repo, 'a/2'), { recursive: true });
    await t.server.manager.poll();
    expect((await (await t.request('/v2/models/a')).json()).versions).toEqual(['1']);
  });

  it('a changed config.pbtxt reloads the model', async () => {
    writeFileSync(join(repo, 'a/config.pbtxt'), CFG('dynamic_batching { max_queue_delay_microseconds: 100 }\n'));
    await t.server.manager.poll();
    const c = await (await t.request('/v2/models/a/config')).json();
    expect(c.dynamic_batching.max_queue_delay_microseconds).toBe(100);
  });

  it('a changed labels file reloads the model', async () => {
    const top = async () => {
      const res = await t.request(
        '/v2/models/cls/infer',
        post({
          inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
          outputs: [{ name: 'OUTPUT0', parameters: { classification: 1 } }],
        }),
      );
      return (await res.json()).outputs[0].data[0].split(':')[2];
    };
    expect(await top()).toBe('horse');
    writeFileSync(join(repo, 'cls/labels.txt'), 'a\nb\nc\nd\nPONY\n');
    await t.server.manager.poll();
    expect(await top()).toBe('PONY');
  });

  it('files no model reads, and touched-but-identical files, do not reload anything', async () => {
    await inferA();
    const before = await count('a');
    expect(before).toBeGreaterThan(0);
    writeTree(repo, { 'a/.config.pbtxt.swp': 'x', 'a/1/__pycache__/m.pyc': 'x', 'a/notes.txt~': 'x', 'a/.DS_Store': 'x' });
    const now = new Date();
    utimesSync(join(repo, 'a/config.pbtxt'), now, now);
    utimesSync(join(repo, 'a/1/model.onnx'), now, now);
    await t.server.manager.poll();
    expect(await count('a')).toBe(before);
  });

  it('a broken config keeps the old version serving with the reason shown; other models still update; fixing it reloads', async () => {
    const good = readFileSync(join(repo, 'a/config.pbtxt'), 'utf8');
    writeFileSync(join(repo, 'a/config.pbtxt'), 'max_batch_size: [oops');
    writeTree(repo, { 'c/config.pbtxt': CFG(), 'c/1/model.onnx': addSubModel() });
    await t.server.manager.poll();
    expect((await inferA('a')).status).toBe(200);
    expect((await inferA('c')).status).toBe(200);
    const entry = (await index()).find((e: { name: string }) => e.name === 'a');
    expect(entry).toEqual({
      name: 'a',
      version: '1',
      state: 'READY',
      reason: expect.stringMatching(
        /^reload failed, previous version keeps serving: Invalid argument: failed to read text proto from .*a\/config\.pbtxt: line 1, column 17: expected an integer, got "\["$/,
      ),
    });
    expect((await t.request('/v2/health/ready')).status).toBe(200);
    await t.server.manager.poll();
    expect((await inferA('a')).status).toBe(200);
    writeFileSync(join(repo, 'a/config.pbtxt'), good.replace('max_queue_delay_microseconds: 100', 'max_queue_delay_microseconds: 200'));
    await t.server.manager.poll();
    expect((await (await t.request('/v2/models/a/config')).json()).dynamic_batching.max_queue_delay_microseconds).toBe(200);
  });

  it('a failed reload of a serving version keeps it READY and says why in the index', async () => {
    const onnx = join(repo, 'a/1/model.onnx');
    const good = readFileSync(onnx);
    writeFileSync(onnx, new Uint8Array([1, 2, 3]));
    await t.server.manager.poll();
    expect((await inferA('a')).status).toBe(200);
    const entry = (await index()).find((e: { name: string }) => e.name === 'a');
    expect(entry).toEqual({
      name: 'a',
      version: '1',
      state: 'READY',
      reason: expect.stringMatching(/^reload failed, previous version keeps serving: Invalid argument: onnxruntime could not create a session/),
    });
    writeFileSync(onnx, good);
    await t.server.manager.poll();
    expect((await index()).find((e: { name: string }) => e.name === 'a')).toEqual({ name: 'a', version: '1', state: 'READY' });
  });

  it('in-flight requests on a removed version complete; new ones fail', async () => {
    const body = post({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [5] }] });
    const inflight = t.request('/v2/models/slow/versions/2/infer', body);
    await new Promise((r) => setTimeout(r, 100));
    renameSync(join(repo, 'slow/2'), join(repo, 'slow/.gone2'));
    await t.server.manager.poll();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect((await res.json()).outputs[0].data).toEqual([5]);
    const after = await t.request('/v2/models/slow/versions/2/infer', body);
    expect(after.status).toBe(503);
    expect((await after.json()).error).toBe("Request for unknown model: 'slow' version 2 is not at ready state");
  });

  it('polls never overlap', async () => {
    const p1 = t.server.manager.poll();
    const p2 = t.server.manager.poll();
    expect(p1).toBe(p2);
    await p1;
  });
});

describe('reloads under load', () => {
  it('keeps requests flowing through ten reloads with zero failures', async () => {
    const root = tmpTree({ 'm/config.pbtxt': CFG(), 'm/1/model.onnx': addSubModel() });
    const s = await startServer({ repositories: [root], controlMode: 'poll' });
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        const res = await s.request(
          '/v2/models/m/infer',
          post({
            inputs: [
              { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X },
              { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: X },
            ],
          }),
        );
        const body = await res.json();
        if (res.status === 200 && body.outputs[0].data[15] === 30) ok++;
        else failures.push(`${res.status} ${JSON.stringify(body)}`);
      }
    };
    const clients = Array.from({ length: 4 }, client);
    for (let i = 1; i <= 10; i++) {
      writeFileSync(join(root, 'm/config.pbtxt'), CFG(`parameters { key: "reload" value: { string_value: "${i}" } }\n`));
      await s.server.manager.poll();
      const c = await (await s.request('/v2/models/m/config')).json();
      expect(c.parameters.reload.string_value).toBe(String(i));
    }
    running = false;
    await Promise.all(clients);
    await s.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });
});

describe('the server polls on its own (pollIntervalMs, --repository-poll-secs)', () => {
  it('every interval after start; 0 means only when asked', async () => {
    const root = tmpTree({ 'a/config.pbtxt': CFG(), 'a/1/model.onnx': addSubModel() });
    const auto = await startServer({ repositories: [root], controlMode: 'poll', pollIntervalMs: 100 });
    const manual = await startServer({ repositories: [root], controlMode: 'poll', pollIntervalMs: 0 });
    try {
      writeTree(root, { 'b/config.pbtxt': CFG(), 'b/1/model.onnx': addSubModel() });
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await auto.request('/v2/models/b/ready')).status;
      }
      expect(status).toBe(200);
      expect((await manual.request('/v2/models/b/ready')).status).not.toBe(200);
      await manual.server.manager.poll();
      expect((await manual.request('/v2/models/b/ready')).status).toBe(200);
    } finally {
      await auto.stop();
      await manual.stop();
    }
  });
});
