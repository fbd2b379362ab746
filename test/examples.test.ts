import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels } from '../scripts/make-example-models.ts';
import { post, startServer, type TestServer } from './helpers/server.ts';

/** The bundled repository that `npm start` serves: every model loads and answers correctly. */
let t: TestServer;
beforeAll(async () => {
  t = await startServer({ modelRepositories: ['examples/models'] });
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
    expect(index.map((e: { name: string; state: string }) => `${e.name}:${e.state}`)).toEqual(exampleModels().map((m) => `${m.name}:READY`).sort());
    expect((await t.request('/v2/health/ready')).status).toBe(200);
  });

  it('scale_js multiplies by its factor parameter', async () => {
    const res = await (await t.request('/v2/models/scale_js/infer', post({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X }] }))).json();
    expect(res.outputs[0].data).toEqual(X.map((x) => x * 0.5));
  });

  it('the add_sub_scaled ensemble chains add_sub and scale_js', async () => {
    const res = await (await t.request('/v2/models/add_sub_scaled/infer', post({ inputs: [{ name: 'A', shape: [1, 16], datatype: 'FP32', data: X }, { name: 'B', shape: [1, 16], datatype: 'FP32', data: Y }] }))).json();
    const out = Object.fromEntries(res.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data]));
    expect(out.HALF_SUM).toEqual(X.map((x, i) => (x + Y[i]!) * 0.5));
    expect(out.DIFF).toEqual(X.map((x, i) => x - Y[i]!));
  });
});
