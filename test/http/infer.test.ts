import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, classifierWeights, identityModel, stringAddSubModel } from '../../src/tools/onnx/models.ts';
import { asBytes, buildRequest, bytesElements, f32, readResponse } from '../helpers/kserve.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

const ADD_SUB = `name: "add_sub"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
dynamic_batching { }
`;

const CLASSIFIER = `name: "classifier"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 5 ] label_filename: "labels.txt" } ]
`;

let t: TestServer;
function range(n: number): number[];
function range<T>(n: number, f: (i: number) => T): T[];
function range(n: number, f: (i: number) => unknown = (i) => i): unknown[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

beforeAll(async () => {
  const repo = tmpTree({
    'add_sub/config.pbtxt': ADD_SUB,
    'add_sub/1/model.onnx': addSubModel(),
    'simple_string/config.pbtxt': ADD_SUB.replaceAll('add_sub', 'simple_string').replaceAll('TYPE_FP32', 'TYPE_STRING').replace('dynamic_batching { }', ''),
    'simple_string/1/model.onnx': stringAddSubModel(),
    'classifier/config.pbtxt': CLASSIFIER,
    'classifier/labels.txt': 'cat\ndog\nbird\nfish\nhorse\n',
    'classifier/1/model.onnx': (await import('../../src/tools/onnx/models.ts')).classifierModel(),
    // A single-input model for raw binary requests: FP32 [-1, 4] identity, batching.
    'raw_identity/config.pbtxt':
      'max_batch_size: 4\ninput { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\n',
    'raw_identity/1/model.onnx': identityModel('float32', ['batch', 4]),
  });
  t = await startServer({ repositories: [repo] });
});
afterAll(() => t.stop());

const addSubJson = (a: number[], b: number[], extra: Record<string, unknown> = {}) => ({
  ...extra,
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
    { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: b },
  ],
});

describe('JSON inference', () => {
  it('adds and subtracts, echoing id and custom parameters', async () => {
    const a = range(16, (i) => i * 1.5);
    const b = range(16, (i) => 10 - i);
    const res = await t.request('/v2/models/add_sub/infer', post(addSubJson(a, b, { id: 'req-1', parameters: { tag: 'x', n: 3 } })));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json();
    expect(body.id).toBe('req-1');
    expect(body.model_name).toBe('add_sub');
    expect(body.model_version).toBe('1');
    expect(body.parameters).toEqual({ tag: 'x', n: 3 });
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
    expect(body.outputs[0]).toMatchObject({ datatype: 'FP32', shape: [1, 16] });
    expect(body.outputs[0].data).toEqual(a.map((x, i) => x + b[i]!));
    expect(body.outputs[1].data).toEqual(a.map((x, i) => x - b[i]!));
  });

  it('accepts nested data and prints FP32 values at double precision like Triton', async () => {
    const res = await t.request(
      '/v2/models/add_sub/infer',
      post({
        inputs: [
          { name: 'INPUT0', shape: [2, 16], datatype: 'FP32', data: [range(16, () => 0.1), range(16, () => 0)] },
          { name: 'INPUT1', shape: [2, 16], datatype: 'FP32', data: range(32, () => 0) },
        ],
      }),
    );
    const body = await res.json();
    expect(body.outputs[0].shape).toEqual([2, 16]);
    expect(body.outputs[0].data.slice(0, 2)).toEqual([Math.fround(0.1), Math.fround(0.1)]);
    const text = JSON.stringify(body.outputs[0].data[0]);
    expect(text).toBe('0.10000000149011612');
  });

  it('returns only the requested outputs, as binary when asked', async () => {
    const a = range(16);
    const b = range(16, () => 2);
    const res = await t.request('/v2/models/add_sub/infer', post(addSubJson(a, b, { outputs: [{ name: 'OUTPUT1', parameters: { binary_data: true } }] })));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const r = await readResponse(res);
    expect([...r.outputs.keys()]).toEqual(['OUTPUT1']);
    expect(r.outputs.get('OUTPUT1')!.parameters).toEqual({ binary_data_size: 64 });
    expect(f32(r.outputs.get('OUTPUT1')!.bytes!)).toEqual(a.map((x) => x - 2));
  });

  it('binary_data_output makes every output binary unless an output says otherwise', async () => {
    const a = range(16);
    const res = await t.request(
      '/v2/models/add_sub/infer',
      post(
        addSubJson(a, a, { parameters: { binary_data_output: true }, outputs: [{ name: 'OUTPUT0' }, { name: 'OUTPUT1', parameters: { binary_data: false } }] }),
      ),
    );
    const r = await readResponse(res);
    expect(f32(r.outputs.get('OUTPUT0')!.bytes!)).toEqual(a.map((x) => 2 * x));
    expect(r.outputs.get('OUTPUT1')!.data).toEqual(range(16, () => 0));
    expect(r.json.parameters).toBeUndefined();
  });
});

describe('binary inference (tritonclient-style requests)', () => {
  it('sends binary inputs and receives binary outputs', async () => {
    const a = Float32Array.from(range(32, (i) => i / 4));
    const b = Float32Array.from(range(32, (i) => 100 - i));
    const { body, headers } = buildRequest(
      [
        { name: 'INPUT0', datatype: 'FP32', shape: [2, 16], bytes: asBytes(a) },
        { name: 'INPUT1', datatype: 'FP32', shape: [2, 16], bytes: asBytes(b) },
      ],
      { parameters: { binary_data_output: true } },
    );
    const res = await t.request('/v2/models/add_sub/infer', { method: 'POST', body: body as BodyInit, headers });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('inference-header-content-length'))).toBeGreaterThan(0);
    const r = await readResponse(res);
    expect(r.outputs.get('OUTPUT0')!.shape).toEqual([2, 16]);
    expect(f32(r.outputs.get('OUTPUT0')!.bytes!)).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i]!)));
    expect(f32(r.outputs.get('OUTPUT1')!.bytes!)).toEqual(Array.from(a, (x, i) => Math.fround(x - b[i]!)));
  });

  it('BYTES tensors in binary and JSON form', async () => {
    const a = range(16, (i) => String(i * 7));
    const b = range(16, (i) => String(-i));
    const { body, headers } = buildRequest(
      [
        { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], bytes: bytesElements(a) },
        { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], data: b },
      ],
      { outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }, { name: 'OUTPUT1' }] },
    );
    const res = await t.request('/v2/models/simple_string/infer', { method: 'POST', body: body as BodyInit, headers });
    const r = await readResponse(res);
    const sum = range(16, (i) => String(i * 7 - i));
    const diff = range(16, (i) => String(i * 7 + i));
    expect(r.outputs.get('OUTPUT0')!.datatype).toBe('BYTES');
    expect(r.outputs.get('OUTPUT0')!.bytes).toEqual(bytesElements(sum));
    expect(r.outputs.get('OUTPUT1')!.data).toEqual(diff);
  });

  it('raw binary request: the whole body is the single input, outputs come back binary', async () => {
    const x = Float32Array.from([1.5, -2, 3.25, 4]);
    const res = await t.request('/v2/models/raw_identity/infer', {
      method: 'POST',
      body: asBytes(x) as BodyInit,
      headers: { 'inference-header-content-length': '0' },
    });
    expect(res.status).toBe(200);
    const r = await readResponse(res);
    expect(r.outputs.get('OUTPUT0')!.shape).toEqual([1, 4]);
    expect(f32(r.outputs.get('OUTPUT0')!.bytes!)).toEqual([1.5, -2, 3.25, 4]);
  });

  it("raw binary request to a model with two inputs is rejected with Triton's message", async () => {
    const res = await t.request('/v2/models/add_sub/infer', { method: 'POST', body: new Uint8Array(64), headers: { 'inference-header-content-length': '0' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe(
      "[request id: <id_unknown>] Raw request must only have 1 input (found 1) to be deduced but got 2 inputs in 'add_sub' model configuration",
    );
  });

  it('accepts a gzip-compressed request body and compresses responses of 1 KiB or more on request', async () => {
    const a = range(8 * 16, (i) => i / 3);
    const big = {
      inputs: [
        { name: 'INPUT0', shape: [8, 16], datatype: 'FP32', data: a },
        { name: 'INPUT1', shape: [8, 16], datatype: 'FP32', data: a },
      ],
    };
    const raw = new TextEncoder().encode(JSON.stringify(big));
    const gz = new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const res = await t.request('/v2/models/add_sub/infer', { method: 'POST', body: gz, headers: { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const unzipped = await new Response(res.body!.pipeThrough(new DecompressionStream('gzip'))).json();
    expect(unzipped.outputs[0].data).toEqual(a.map((x) => Math.fround(x) * 2));
    const small = await t.request('/v2/models/add_sub/infer', post(addSubJson(range(16), range(16)), { 'accept-encoding': 'gzip' }));
    expect(small.headers.get('content-encoding')).toBeNull();
    expect((await small.json()).outputs[0].data).toEqual(range(16, (x) => 2 * x));
  });
});

describe('classification extension', () => {
  it('returns the top-k classes with labels, computed like the model', async () => {
    const x = [0.5, -1, 2, 0.25];
    const { w, b } = classifierWeights();
    const logits = range(5, (j) => x.reduce((s, xi, i) => s + xi * w[i * 5 + j]!, b[j]!));
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const probs = exps.map((e) => e / exps.reduce((s, v) => s + v, 0));
    const labels = ['cat', 'dog', 'bird', 'fish', 'horse'];
    const order = range(5)
      .sort((p, q) => probs[q]! - probs[p]!)
      .slice(0, 3);
    const res = await t.request(
      '/v2/models/classifier/infer',
      post({
        inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', data: x }],
        outputs: [{ name: 'OUTPUT0', parameters: { classification: 3 } }],
      }),
    );
    const body = await res.json();
    expect(body.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: 'BYTES', shape: [1, 3] });
    const got = (body.outputs[0].data as string[]).map((s) => s.split(':'));
    expect(got.map((g) => Number(g[1]))).toEqual(order);
    expect(got.map((g) => g[2])).toEqual(order.map((i) => labels[i]));
    got.forEach((g, k) => expect(Number(g[0])).toBeCloseTo(probs[order[k]!]!, 5));
    expect(got[0]![0]).toMatch(/^\d\.\d{6}$/);
  });
});

describe('statistics', () => {
  it('counts successes, failures, executions and timings', async () => {
    const before = (await (await t.request('/v2/models/add_sub/stats')).json()).model_stats[0];
    const a = range(16);
    for (let i = 0; i < 3; i++) await t.request('/v2/models/add_sub/infer', post(addSubJson(a, a)));
    await t.request('/v2/models/add_sub/infer', post({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a }] }));
    const after = (await (await t.request('/v2/models/add_sub/stats')).json()).model_stats[0];
    expect(after.name).toBe('add_sub');
    expect(after.version).toBe('1');
    expect(after.inference_count - before.inference_count).toBe(3);
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(3);
    expect(after.inference_stats.fail.count - before.inference_stats.fail.count).toBe(1);
    expect(after.execution_count - before.execution_count).toBe(3);
    expect(after.inference_stats.compute_infer.ns).toBeGreaterThan(before.inference_stats.compute_infer.ns);
    expect(after.inference_stats.queue.count).toBe(after.inference_stats.success.count);
    expect(after.last_inference).toBeGreaterThan(Date.now() - 60_000);
    expect(after.batch_stats.find((s: { batch_size: number }) => s.batch_size === 1).compute_infer.count).toBeGreaterThanOrEqual(3);
    const all = await (await t.request('/v2/models/stats')).json();
    expect(all.model_stats.map((m: { name: string }) => m.name)).toEqual(['add_sub', 'classifier', 'raw_identity', 'simple_string']);
  });
});
