import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferResponse } from '../../src/core/index.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Decoupled models (model_transaction_policy { decoupled: true }) with the JavaScript backend:
 * a request gets any number of responses through `request.responseSender`, each as it is ready,
 * also after `execute` returned; unary endpoints refuse them.
 */
const CONFIG = `backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "SQUARE" data_type: TYPE_INT32 dims: [ 1 ] } ]
`;
/** IN = n: n, ..., 1 as separate responses; negative: an error response; 0: a final with no response; 99: the worker crashes. */
const MODEL = `
export function execute(requests) {
  for (const r of requests) void run(r);
}
async function run(r) {
  const s = r.responseSender;
  const n = r.inputs.IN.data[0];
  if (n === 99) process.exit(3);
  if (n < 0) return s.send({ error: 'negative input' }, { final: true });
  for (let i = n; i >= 1; i--) {
    await new Promise((res) => setTimeout(res, 2));
    const outputs = { OUT: { shape: [1], data: Int32Array.of(i) } };
    if (i % 2 === 0) outputs.SQUARE = { shape: [1], data: Int32Array.of(i * i) };
    await s.send({ outputs });
  }
  await s.send(undefined, { final: true });
}`;

let t: TestServer;
beforeAll(async () => {
  const repo = tmpTree({ 'count/config.pbtxt': CONFIG, 'count/1/model.js': MODEL });
  t = await startServer({ repositories: [repo] });
});
afterAll(() => t.stop());

type Got = { response?: InferResponse; error?: string; final: boolean };

async function stream(n: number, id = `r${n}`): Promise<{ got: Got[]; error?: string }> {
  const got: Got[] = [];
  try {
    await t.server.inferStream(
      { model: 'count', id, inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: Int32Array.of(n) }] },
      {
        send: (r, final) => got.push(r === undefined ? { final } : r instanceof Error ? { error: r.message, final } : { response: r, final }),
      },
    );
    return { got };
  } catch (e) {
    return { got, error: (e as Error).message };
  }
}

describe('decoupled models', () => {
  it('stream n responses, each with the outputs it carries, then a final with none', async () => {
    const { got, error } = await stream(4);
    expect(error).toBeUndefined();
    expect(got.map((g) => g.final)).toEqual([false, false, false, false, true]);
    expect(got.at(-1)).toEqual({ final: true });
    const values = got.slice(0, 4).map((g) => Object.fromEntries(g.response!.outputs.map((o) => [o.name, Array.from(o.data as Int32Array)])));
    expect(values).toEqual([{ OUT: [4], SQUARE: [16] }, { OUT: [3] }, { OUT: [2], SQUARE: [4] }, { OUT: [1] }]);
    expect(got[0]!.response).toMatchObject({ id: 'r4', model_name: 'count', model_version: '1' });
  });

  it('requests run concurrently and each gets its own responses', async () => {
    const all = await Promise.all([stream(3, 'a'), stream(0, 'b'), stream(5, 'c')]);
    expect(all.map((r) => r.got.filter((g) => g.response).length)).toEqual([3, 0, 5]);
    expect(all.every((r) => r.got.at(-1)!.final && r.got.filter((g) => g.final).length === 1)).toBe(true);
    expect(all[2]!.got.filter((g) => g.response).every((g) => g.response!.id === 'c')).toBe(true);
  });

  it("a model's error response arrives in place of a response; a crashed worker ends the request with the reason", async () => {
    const bad = await stream(-1);
    expect(bad.got).toEqual([{ error: "model 'count' failed: negative input", final: true }]);
    const crashed = await stream(99);
    expect(crashed.got.length + (crashed.error ? 1 : 0)).toBeGreaterThan(0);
    const reason = crashed.error ?? crashed.got.at(-1)!.error;
    expect(reason).toMatch(/worker stopped/);
    // The worker restarts for the next request.
    expect((await stream(2)).got.filter((g) => g.response).length).toBe(2);
  });

  it("unary endpoints refuse decoupled models with Triton's error", async () => {
    const res = await t.request('/v2/models/count/infer', post({ inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: [2] }] }));
    expect(res.status).toBe(501);
    expect((await res.json()).error).toBe("HTTP end point doesn't support models with decoupled transaction policy");
  });

  it('statistics count one success per completed request', async () => {
    const before = (await (await t.request('/v2/models/count/stats')).json()).model_stats[0].inference_stats.success.count;
    await stream(1);
    const after = (await (await t.request('/v2/models/count/stats')).json()).model_stats[0].inference_stats.success.count;
    expect(after - before).toBe(1);
  });
});
