import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels } from '../scripts/make-example-models.ts';
import { post, startServer, type TestServer } from './helpers/server.ts';

/** The bundled repository that `npm start` serves: every model loads and answers correctly. */
let t: TestServer;
beforeAll(async () => {
  t = await startServer({ repositories: ['examples/models'] });
});
afterAll(() => t.stop());

const X = Array.from({ length: 16 }, (_, i) => i);
const Y = Array.from({ length: 16 }, (_, i) => 2 * i + 1);

describe('examples/models', () => {
  it('matches what scripts/make-example-models.ts generates', () => {
    for (const m of exampleModels()) {
      for (const [rel, data] of Object.entries(m.files)) {
        const want = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        expect(new Uint8Array(readFileSync(join('examples/models', m.name, rel))), `${m.name}/${rel}`).toEqual(want);
      }
    }
  });

  it('every model is READY and the server is ready', async () => {
    const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
    expect(index.map((e: { name: string; state: string }) => `${e.name}:${e.state}`)).toEqual(
      exampleModels()
        .map((m) => `${m.name}:READY`)
        .sort(),
    );
    expect((await t.request('/v2/health/ready')).status).toBe(200);
  });

  it('scale_js multiplies by its factor parameter', async () => {
    const res = await (await t.request('/v2/models/scale_js/infer', post({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X }] }))).json();
    expect(res.outputs[0].data).toEqual(X.map((x) => x * 0.5));
  });

  it('the add_sub_scaled ensemble chains add_sub and scale_js', async () => {
    const res = await (
      await t.request(
        '/v2/models/add_sub_scaled/infer',
        post({
          inputs: [
            { name: 'A', shape: [1, 16], datatype: 'FP32', data: X },
            { name: 'B', shape: [1, 16], datatype: 'FP32', data: Y },
          ],
        }),
      )
    ).json();
    const out = Object.fromEntries(res.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data]));
    expect(out.HALF_SUM).toEqual(X.map((x, i) => (x + Y[i]!) * 0.5));
    expect(out.DIFF).toEqual(X.map((x, i) => x - Y[i]!));
  });
});

describe('examples/models/accumulate (sequence batcher with implicit state)', () => {
  const step = (id: number | string, value: number, flags: Record<string, boolean> = {}) =>
    t.request(
      '/v2/models/accumulate/infer',
      post({ parameters: { sequence_id: id, ...flags }, inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [value] }] }),
    );

  it('accumulates across a sequence; sequences are independent; START resets', async () => {
    const values = [3, 4, -2, 10];
    const sums: number[] = [];
    let _acc = 0;
    for (const [i, v] of values.entries()) {
      _acc += v;
      const res = await (await step(1001, v, { sequence_start: i === 0, sequence_end: i === values.length - 1 })).json();
      sums.push(res.outputs[0].data[0]);
      expect(res.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT']);
    }
    expect(sums).toEqual([3, 7, 5, 15]);
    const [a, b] = await Promise.all([step('alpha', 5, { sequence_start: true }), step('beta', 100, { sequence_start: true })]);
    expect((await a.json()).outputs[0].data).toEqual([5]);
    expect((await b.json()).outputs[0].data).toEqual([100]);
    expect((await (await step('alpha', 1)).json()).outputs[0].data).toEqual([6]);
    expect((await (await step('beta', 1, { sequence_end: true })).json()).outputs[0].data).toEqual([101]);
    expect((await (await step('alpha', 7, { sequence_start: true, sequence_end: true })).json()).outputs[0].data).toEqual([7]);
  });

  it('countdown_js (decoupled) streams n, ..., 0 to one request; unary /infer refuses it', async () => {
    const got: { out?: number; final: boolean }[] = [];
    await t.server.inferStream(
      { model: 'countdown_js', inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: Int32Array.of(3) }] },
      {
        send: (r, final) => got.push({ out: r && !(r instanceof Error) ? (r.outputs[0]!.data as Int32Array)[0] : undefined, final }),
      },
    );
    expect(got).toEqual([
      { out: 3, final: false },
      { out: 2, final: false },
      { out: 1, final: false },
      { out: 0, final: true },
    ]);
    const res = await t.request('/v2/models/countdown_js/infer', post({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [3] }] }));
    expect(res.status).toBe(501);
  });

  it("answers Triton's errors over HTTP", async () => {
    const noStart = await step(555, 1);
    expect(noStart.status).toBe(400);
    expect((await noStart.json()).error).toBe(
      "inference request for sequence 555 to model 'accumulate' must specify the START flag on the first request of the sequence",
    );
    const noId = await t.request('/v2/models/accumulate/infer', post({ inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [1] }] }));
    expect((await noId.json()).error).toBe("inference request to model 'accumulate' must specify a non-zero or non-empty correlation ID");
    const control = await t.request(
      '/v2/models/accumulate/infer',
      post({
        parameters: { sequence_id: 9, sequence_start: true },
        inputs: [
          { name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [1] },
          { name: 'START', shape: [1, 1], datatype: 'INT32', data: [1] },
        ],
      }),
    );
    expect((await control.json()).error).toBe("[request id: <id_unknown>] unexpected inference input 'START' for model 'accumulate'");
  });
});
