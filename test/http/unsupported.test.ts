import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/platform/node/index.ts';
import { parseRestriction } from '../../src/transports/http/app.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

/** Triton's paths (triton-protocol.md §1.1) for extensions Nereid does not implement, with a method Triton accepts. */
const UNSUPPORTED: [method: string, path: string, names: RegExp][] = [
  ['GET', '/v2/systemsharedmemory/status', /system shared memory \(the shared-memory extension\) is not supported/],
  ['GET', '/v2/systemsharedmemory/region/r0/status', /system shared memory/],
  ['POST', '/v2/systemsharedmemory/region/r0/register', /system shared memory/],
  ['POST', '/v2/systemsharedmemory/unregister', /system shared memory/],
  ['GET', '/v2/cudasharedmemory/status', /CUDA shared memory \(the shared-memory extension\) is not supported/],
  ['POST', '/v2/cudasharedmemory/region/r0/register', /CUDA shared memory/],
  ['POST', '/v2/cudasharedmemory/region/r0/unregister', /CUDA shared memory/],
  ['GET', '/v2/trace/setting', /the trace extension is not supported/],
  ['POST', '/v2/trace/setting', /the trace extension is not supported/],
  ['GET', '/v2/models/add_sub/trace/setting', /the trace extension is not supported/],
  ['POST', '/inference.GRPCInferenceService/ModelInfer', /gRPC is served on its own port \(--grpc-port/],
];

describe('extensions Nereid does not implement', () => {
  let t: TestServer;
  beforeAll(async () => {
    const repo = tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() });
    t = await startServer({ repositories: [repo] });
  });
  afterAll(() => t.stop());

  it.each(UNSUPPORTED)('%s %s answers 501 naming the extension', async (method, path, names) => {
    const res = await t.request(path, { method, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(501);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect((await res.json()).error).toMatch(names);
  });

  it('a method Triton refuses on those paths is 405, as in Triton', async () => {
    for (const [method, path] of [
      ['POST', '/v2/systemsharedmemory/status'],
      ['GET', '/v2/cudasharedmemory/region/r0/register'],
      ['DELETE', '/v2/trace/setting'],
      ['PUT', '/v2/logging'],
      ['GET', '/v2/models/add_sub/generate'],
    ] as const) {
      const res = await t.request(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(await res.json()).toEqual({ error: 'Method Not Allowed' });
    }
  });

  it("paths Triton's router does not match stay 404 Not Found", async () => {
    for (const path of [
      '/v2/systemsharedmemory/region/r0/bogus',
      '/v2/systemsharedmemory',
      '/v2/models/add_sub/versions/1/trace/setting',
      '/v2/models/add_sub/versions/x/generate',
      '/v2/tracing',
    ]) {
      const res = await t.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: 'Not Found' });
    }
  });

  it('the implemented endpoints next to them keep working', async () => {
    const data = Array.from({ length: 16 }, (_, i) => i);
    const res = await t.request('/v2/models/add_sub/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, shape: [1, 16], datatype: 'FP32', data })) }),
    });
    expect(res.status).toBe(200);
    const out = (await res.json()).outputs.find((o: { name: string }) => o.name === 'OUTPUT0');
    expect(out.data).toEqual(data.map((v) => 2 * v));
    expect((await t.request('/v2/models/add_sub/config')).status).toBe(200);
  });

  it('--http-restricted-api categories shared-memory and trace still answer 403 first', async () => {
    const app = createHttpApp(t.server, { restricted: [parseRestriction('shared-memory,trace:admin=yes')] });
    for (const path of ['/v2/systemsharedmemory/status', '/v2/trace/setting', '/v2/models/add_sub/trace/setting']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(403);
      expect((await app.request(path, { headers: { admin: 'yes' } })).status, path).toBe(501);
    }
  });
});
