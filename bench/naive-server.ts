// The naive alternative: what a user would write instead of Nereid — a bare hono handler that
// parses a KServe v2 binary request, calls session.run once per request, and answers in binary.
// Usage: node --import tsx bench/naive-server.ts MODEL.onnx  → prints "listening on http://127.0.0.1:PORT"
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import * as ort from 'onnxruntime-node';

const session = await ort.InferenceSession.create(readFileSync(process.argv[2]!), {
  executionProviders: ['cpu'],
  intraOpNumThreads: availableParallelism(),
  graphOptimizationLevel: 'all',
});
const enc = new TextEncoder();
const dec = new TextDecoder();
const app = new Hono();

app.post('/v2/models/:model/versions/:version/infer', async (c) => {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const hl = Number(c.req.header('inference-header-content-length'));
  const header = JSON.parse(dec.decode(body.subarray(0, hl)));
  const feeds: Record<string, ort.Tensor> = {};
  let off = hl;
  for (const input of header.inputs) {
    const size = input.parameters.binary_data_size;
    const data = new Float32Array(body.slice(off, off + size).buffer);
    off += size;
    feeds[input.name] = new ort.Tensor('float32', data, input.shape);
  }
  const out = await session.run(feeds);
  const outputs = Object.entries(out).map(([name, t]) => ({ name, datatype: 'FP32', shape: t.dims, bytes: new Uint8Array((t.data as Float32Array).buffer) }));
  const json = enc.encode(
    JSON.stringify({
      model_name: c.req.param('model'),
      model_version: '1',
      outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: o.bytes.byteLength } })),
    }),
  );
  const res = new Uint8Array(json.byteLength + outputs.reduce((n, o) => n + o.bytes.byteLength, 0));
  res.set(json);
  let at = json.byteLength;
  for (const o of outputs) {
    res.set(o.bytes, at);
    at += o.bytes.byteLength;
  }
  return new Response(res, { headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.byteLength) } });
});

// Just enough of the API for the load generator to read the model's shape.
const meta = () => ({
  name: 'model',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: session.inputMetadata.map((m) => ({
    name: m.name,
    datatype: 'FP32',
    shape: (m as unknown as { shape: (number | string)[] }).shape.map((d) => (typeof d === 'number' ? d : -1)),
  })),
  outputs: session.outputMetadata.map((m) => ({
    name: m.name,
    datatype: 'FP32',
    shape: (m as unknown as { shape: (number | string)[] }).shape.map((d) => (typeof d === 'number' ? d : -1)),
  })),
});
app.get('/v2/models/:model', (c) => c.json(meta()));
app.get('/v2/models/:model/versions/:version', (c) => c.json(meta()));
app.get('/v2/models/:model/config', (c) => c.json({ max_batch_size: 64 }));
app.get('/v2/models/:model/versions/:version/config', (c) => c.json({ max_batch_size: 64 }));

serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`));
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(0));
