// The inference requests the benchmark sends: one per model and encoding, random FP32 inputs at
// batch 1, made once and sent unchanged for a whole window (as perf_analyzer does).
import type { BenchModel } from './models.ts';
import type { WrkRequest } from './wrk.ts';

const enc = new TextEncoder();
const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Random FP32 data per input of the model, batch 1. */
export function randomInputs(m: BenchModel): { name: string; shape: number[]; data: Float32Array }[] {
  return m.inputs.map((t) => ({ name: t.name, shape: [1, ...t.dims], data: Float32Array.from({ length: count(t.dims) }, () => Math.random()) }));
}

/** A KServe v2 request with binary tensors (`Inference-Header-Content-Length`), outputs asked for as binary. */
export function binaryRequest(m: BenchModel, inputs = randomInputs(m)): WrkRequest {
  const head = enc.encode(
    JSON.stringify({
      inputs: inputs.map((i) => ({ name: i.name, datatype: 'FP32', shape: i.shape, parameters: { binary_data_size: i.data.byteLength } })),
      outputs: m.outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } })),
    }),
  );
  const body = new Uint8Array(head.byteLength + inputs.reduce((n, i) => n + i.data.byteLength, 0));
  body.set(head);
  let at = head.byteLength;
  for (const i of inputs) {
    body.set(new Uint8Array(i.data.buffer, i.data.byteOffset, i.data.byteLength), at);
    at += i.data.byteLength;
  }
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(head.byteLength) },
    body,
  };
}

/** A KServe v2 request with JSON tensors (and JSON outputs). */
export function jsonRequest(m: BenchModel, inputs = randomInputs(m)): WrkRequest {
  const body = enc.encode(JSON.stringify({ inputs: inputs.map((i) => ({ name: i.name, datatype: 'FP32', shape: i.shape, data: Array.from(i.data) })) }));
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body };
}

export const inferPath = (model: string) => `/v2/models/${model}/versions/1/infer`;

/** Bytes of the model's inputs and outputs at batch 1. */
export function tensorBytes(m: BenchModel): { input: number; output: number } {
  return { input: m.inputs.reduce((n, t) => n + 4 * count(t.dims), 0), output: m.outputs.reduce((n, t) => n + 4 * count(t.dims), 0) };
}

/**
 * Tensor bytes the naive server (bench/naive-server.ts) copies per request, read from its code and
 * counted by the rules of Nereid's `nereid_tensor_bytes_copied_total` (src/core/stats/copies.ts):
 * the body read into one buffer (inputs), `slice` per input (inputs), onnxruntime's output copy
 * (outputs), and the outputs copied into the response buffer (outputs). The handler's own code makes
 * the second and the fourth.
 */
export function naiveCopiedBytes(m: BenchModel): { total: number; handler: number } {
  const { input, output } = tensorBytes(m);
  return { total: 2 * input + 2 * output, handler: input + output };
}
