import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type InferenceServer, serve, type Listener } from '../../src/platform/node/index.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Over a real socket: a request waiting in a model's queue whose client goes away is dropped
 * (never executed); the request ahead of it still completes.
 */
let server: InferenceServer;
let http: Listener;
beforeAll(async () => {
  const repo = tmpTree({
    // One instance, 400 ms per request: a second request has to queue behind the first.
    'slow/config.pbtxt':
      'backend: "js"\nmax_batch_size: 0\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\ninstance_group { count: 1 kind: KIND_CPU }\n',
    'slow/1/model.js':
      'export async function execute(rs) { await new Promise((r) => setTimeout(r, 400)); return rs.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }\n',
  });
  server = await createServer({ repositories: [repo], cuda: { available: false, deviceCount: 0, reason: 'tests' } });
  await server.start();
  http = await serve(server, { port: 0, address: '127.0.0.1' });
});
afterAll(async () => {
  await http.close();
  await server.stop(1000);
});

const body = (v: number) => JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [v] }] });

function send(v: number): { done: Promise<{ status: number; text: string }>; abort: () => void } {
  const req = request(`${http.url}/v2/models/slow/infer`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  const done = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
  req.end(body(v));
  return { done, abort: () => req.destroy() };
}

const stats = async () => server.modelStats('slow') as { model_stats: { inference_count: number; execution_count: number }[] };

describe('client disconnects while queued', () => {
  it('drops the queued request and finishes the running one', async () => {
    const first = send(7);
    await new Promise((r) => setTimeout(r, 100)); // first is executing
    const second = send(8);
    second.done.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100)); // second is queued
    expect(server.inflightCount).toBe(2);
    second.abort();
    const r1 = await first.done;
    expect(r1.status).toBe(200);
    expect(JSON.parse(r1.text).outputs[0].data).toEqual([7]);
    await new Promise((r) => setTimeout(r, 600)); // the second would have run by now
    const s = (await stats()).model_stats[0]!;
    expect(s.execution_count).toBe(1);
    expect(s.inference_count).toBe(1);
    expect(server.inflightCount).toBe(0);
    // The model still serves.
    const third = await send(9).done;
    expect(JSON.parse(third.text).outputs[0].data).toEqual([9]);
  });
});
