import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, readResponse } from '../helpers/kserve.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** JavaScript models (backend "js"), each running in its own worker thread. */
const ADDSUB_JS = `
export function autoCompleteConfig(config) {
  if (config.input.length === 0) {
    for (const n of ['INPUT0', 'INPUT1']) config.input.push({ name: n, data_type: 'TYPE_INT32', dims: [16] });
    for (const n of ['OUTPUT0', 'OUTPUT1']) config.output.push({ name: n, data_type: 'TYPE_INT32', dims: [16] });
  }
  return config;
}
export function execute(requests) {
  return requests.map((r) => {
    const a = r.inputs.INPUT0.data, b = r.inputs.INPUT1.data;
    return { outputs: {
      OUTPUT0: { shape: [16], data: a.map((x, i) => x + b[i]) },
      OUTPUT1: { shape: [16], data: Array.from(a, (x, i) => x - b[i]) },
    } };
  });
}
`;

const IDENTITY_JS = `
export function execute(requests) {
  return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } }));
}
`;

const FLAKY_JS = `
let args;
export function initialize(a) { args = a; }
export function execute(requests) {
  return requests.map((r) => {
    const v = r.inputs.INPUT0.data[0];
    if (v === 1) throw new Error('boom: one is not allowed');
    if (v === 2) return { error: 'two is rejected' };
    if (v === 3) process.exit(7);
    if (v === 4) { const end = Date.now() + 60_000; while (Date.now() < end) {} }
    return { outputs: { OUTPUT0: { shape: [1], data: [v * 10] } }, parameters: { instance: args.model_instance_name, version: args.model_version } };
  });
}
export function finalize() {}
`;

const BATCH_JS = `
export function execute(requests) {
  return requests.map((r) => ({
    outputs: { OUTPUT0: { shape: r.inputs.INPUT0.shape, data: Float32Array.from(r.inputs.INPUT0.data, (x) => x + requests.length * 1000) } },
  }));
}
`;

const FINALIZE_JS = (marker: string) => `
import { writeFileSync } from 'node:fs';
export function execute(requests) { return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }
export function finalize() { writeFileSync(${JSON.stringify(marker)}, 'finalized'); }
`;

const io = (t: string, dims: string) => `input { name: "INPUT0" data_type: ${t} dims: ${dims} }\noutput { name: "OUTPUT0" data_type: ${t} dims: ${dims} }\n`;

let t: TestServer;
let marker: string;
beforeAll(async () => {
  const dir = tmpTree();
  marker = join(dir, 'finalized.txt');
  const repo = tmpTree({
    'addsub/1/model.js': ADDSUB_JS,
    'bf16/config.pbtxt': `backend: "js"\n${io('TYPE_BF16', '[ 3 ]')}`,
    'bf16/1/model.js': IDENTITY_JS,
    'flaky/config.pbtxt': `backend: "js"\nmax_batch_size: 0\n${io('TYPE_INT32', '[ 1 ]')}parameters { key: "execution_timeout_ms" value: { string_value: "1500" } }\ninstance_group { count: 1 kind: KIND_CPU }\n`,
    'flaky/1/model.js': FLAKY_JS,
    'batched/config.pbtxt': `backend: "js"\nmax_batch_size: 8\n${io('TYPE_FP32', '[ 2 ]')}dynamic_batching { }\ninstance_group { count: 1 kind: KIND_CPU }\n`,
    'batched/1/model.js': BATCH_JS,
    'fin/config.pbtxt': `backend: "js"\n${io('TYPE_INT32', '[ 1 ]')}`,
    'fin/1/model.js': FINALIZE_JS(marker),
  });
  t = await startServer({ repositories: [repo], controlMode: 'explicit', startupModels: ['*'] });
});
afterAll(() => t.stop());

const int32 = (model: string, v: number) =>
  t.request(`/v2/models/${model}/infer`, post({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [v] }] }));

describe('JavaScript backend', () => {
  it('auto-completes its config from autoCompleteConfig and computes with plain arrays', async () => {
    const config = await (await t.request('/v2/models/addsub/config')).json();
    expect(config).toMatchObject({ backend: 'js', platform: '', max_batch_size: 0, default_model_filename: 'model.js' });
    expect(config.input.map((i: { name: string }) => i.name)).toEqual(['INPUT0', 'INPUT1']);
    const a = Array.from({ length: 16 }, (_, i) => i);
    const res = await (
      await t.request(
        '/v2/models/addsub/infer',
        post({
          inputs: [
            { name: 'INPUT0', shape: [16], datatype: 'INT32', data: a },
            { name: 'INPUT1', shape: [16], datatype: 'INT32', data: a },
          ],
        }),
      )
    ).json();
    expect(res.outputs[0].data).toEqual(a.map((x) => 2 * x));
    expect(res.outputs[1].data).toEqual(a.map(() => 0));
  });

  it('carries BF16 tensors in binary form', async () => {
    // bfloat16 bit patterns of 1.0, -2.5, 3.0e38
    const bytes = new Uint8Array([0x80, 0x3f, 0x20, 0xc0, 0x62, 0x7f]);
    const { body, headers } = buildRequest([{ name: 'INPUT0', datatype: 'BF16', shape: [3], bytes }], { parameters: { binary_data_output: true } });
    const res = await t.request('/v2/models/bf16/infer', { method: 'POST', body: body as BodyInit, headers });
    expect(res.status).toBe(200);
    const out = (await readResponse(res)).outputs.get('OUTPUT0')!;
    expect(out.datatype).toBe('BF16');
    expect(out.bytes).toEqual(bytes);
    const json = await t.request('/v2/models/bf16/infer', post({ inputs: [{ name: 'INPUT0', shape: [3], datatype: 'BF16', data: [1, 2, 3] }] }));
    expect((await json.json()).error).toBe('receiving BF16 data via JSON is not supported. Please use the binary data format for input INPUT0');
  });

  it('passes initialize args and response parameters', async () => {
    const res = await (await int32('flaky', 5)).json();
    expect(res.outputs[0].data).toEqual([50]);
    expect(res.parameters).toEqual({ instance: 'flaky_0_0', version: '1' });
  });

  it('a throwing model fails that request only', async () => {
    const res = await int32('flaky', 1);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("model 'flaky': execute failed: boom: one is not allowed");
    const rejected = await int32('flaky', 2);
    expect((await rejected.json()).error).toBe("model 'flaky' failed: two is rejected");
    expect((await (await int32('flaky', 6)).json()).outputs[0].data).toEqual([60]);
  });

  it('a crashing worker is restarted; the request gets an error and the next one works', async () => {
    const res = await int32('flaky', 3);
    expect(res.status).toBe(500);
    expect((await res.json()).error).toBe("model 'flaky': its worker stopped during execute (exit code 7) and will be restarted");
    expect((await (await int32('flaky', 7)).json()).outputs[0].data).toEqual([70]);
    expect((await t.request('/v2/health/ready')).status).toBe(200);
  });

  it('a hanging model is stopped after execution_timeout_ms while other models keep serving', async () => {
    const hung = int32('flaky', 4);
    const other = await t.request('/v2/models/addsub/ready');
    expect(other.status).toBe(200);
    const res = await hung;
    expect(res.status).toBe(503);
    expect((await res.json()).error).toBe("model 'flaky': execute did not finish within 1500 ms; its worker was restarted");
    expect((await (await int32('flaky', 8)).json()).outputs[0].data).toEqual([80]);
  });

  it('receives queued requests together in one execute call (dynamic batching)', async () => {
    const send = (x: number) => t.request('/v2/models/batched/infer', post({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [x, x] }] }));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => send(i).then((r) => r.json())));
    const batchSizes = results.map((r, i) => (r.outputs[0].data[0] - i) / 1000);
    results.forEach((r, i) => expect(r.outputs[0].data).toEqual([i + batchSizes[i]! * 1000, i + batchSizes[i]! * 1000]));
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    const stats = (await (await t.request('/v2/models/batched/stats')).json()).model_stats[0];
    expect(stats.inference_count).toBe(6);
    expect(stats.execution_count).toBeLessThan(6);
  });

  it('calls finalize when the model is unloaded', async () => {
    expect(existsSync(marker)).toBe(false);
    expect((await t.request('/v2/repository/models/fin/unload', { method: 'POST' })).status).toBe(200);
    expect(readFileSync(marker, 'utf8')).toBe('finalized');
  });
});
