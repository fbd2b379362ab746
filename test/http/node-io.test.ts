import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { createServer, type InferenceServer, type Listener, serve, tensorCopies } from '../../src/platform/node/index.ts';
import { asBytes, buildRequest } from '../helpers/kserve.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Node's fast paths over a real socket: a binary body is read straight into one buffer with its
 * binary section aligned (no alignment copy, whatever the JSON header's length), and the response
 * parts are written as they are. Tensor bytes copied per request: the input once (socket → buffer)
 * and the output once (onnxruntime's copy).
 */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
parameters { key: "execution_thread" value { string_value: "main" } }
`;

let server: InferenceServer;
let http: Listener;
let cors: Listener;
beforeAll(async () => {
  const repo = tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() });
  server = await createServer({ repositories: [repo], cuda: { available: false, deviceCount: 0, reason: 'tests' } });
  await server.start();
  http = await serve(server, { port: 0, address: '127.0.0.1' });
  cors = await serve(server, { port: 0, address: '127.0.0.1', corsOrigin: ['*'] });
});
afterAll(async () => {
  await http.close();
  await cors.close();
  await server.stop(1000);
});

function post(url: string, body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.byteLength) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const X = Float32Array.from({ length: 16 }, (_, i) => i * 1.5);
const Y = Float32Array.from({ length: 16 }, (_, i) => 100 - i);
const INPUTS = [
  { name: 'INPUT0', datatype: 'FP32' as const, shape: [1, 16], bytes: asBytes(X) },
  { name: 'INPUT1', datatype: 'FP32' as const, shape: [1, 16], bytes: asBytes(Y) },
];

/** Reads the two binary outputs of a response. */
function outputs(r: { headers: Record<string, unknown>; body: Buffer }): number[][] {
  const hl = Number(r.headers['inference-header-content-length']);
  const json = JSON.parse(r.body.subarray(0, hl).toString());
  let at = hl;
  return json.outputs.map((o: { parameters: { binary_data_size: number } }) => {
    const n = o.parameters.binary_data_size;
    const bytes = r.body.subarray(at, at + n);
    at += n;
    return Array.from(new Float32Array(new Uint8Array(bytes).buffer));
  });
}

describe('Node HTTP fast paths', () => {
  it.each(['', 'x', 'xy', 'xyz', 'wxyz'])('binary request with an id of %j (JSON header length varies): right outputs, 2 copies of tensor data', async (id) => {
    const req = buildRequest(INPUTS, { ...(id ? { id } : {}), parameters: { binary_data_output: true } });
    const before = tensorCopies.bytes;
    const res = await post(`${http.url}/v2/models/add_sub/infer`, req.body, req.headers);
    const copied = tensorCopies.bytes - before;
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(res.body.byteLength);
    const [sum, diff] = outputs(res);
    expect(sum).toEqual(Array.from(X, (x, i) => x + Y[i]!));
    expect(diff).toEqual(Array.from(X, (x, i) => x - Y[i]!));
    // 128 bytes in (the socket into one buffer), 128 bytes out (onnxruntime's copy): no alignment
    // copy, no join of the response parts.
    expect(copied).toBe(256);
  });

  it('/metrics reports the bytes copied: nereid_tensor_bytes_copied_total', async () => {
    const read = () => Number(server.metrics().match(/^nereid_tensor_bytes_copied_total (\d+)$/m)?.[1]);
    const before = read();
    const req = buildRequest(INPUTS, { parameters: { binary_data_output: true } });
    expect((await post(`${http.url}/v2/models/add_sub/infer`, req.body, req.headers)).status).toBe(200);
    expect(read() - before).toBe(256);
  });

  it('with CORS on, the response goes through hono (its headers added) and stays right', async () => {
    const req = buildRequest(INPUTS, { parameters: { binary_data_output: true } });
    const res = await post(`${cors.url}/v2/models/add_sub/infer`, req.body, { ...req.headers, origin: 'http://example.test' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(outputs(res)[0]).toEqual(Array.from(X, (x, i) => x + Y[i]!));
  });

  it('a declared length over --http-max-input-size is refused before the body is read', async () => {
    const small = await serve(server, { port: 0, address: '127.0.0.1', maxInputSize: 100 });
    try {
      const req = buildRequest(INPUTS);
      const res = await post(`${small.url}/v2/models/add_sub/infer`, req.body, req.headers);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString()).error).toMatch(/exceeds the maximum allowed input size of 100 bytes/);
    } finally {
      await small.close();
    }
  });
});
