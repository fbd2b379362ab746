/**
 * The gRPC contract every runtime that serves Triton's GRPCInferenceService must meet, written
 * once and run against each target (the Node CLI process, a Deno server process), through the
 * independent grpc-js client: metadata, readiness, inference with raw and with typed contents
 * (no JSON anywhere), streams, errors with their codes, deadlines and the message-size bound.
 * Expected values are computed here.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierWeights } from '../../src/tools/onnx/models.ts';
import { collect, type GrpcClient, grpcClient, type Msg, Status } from '../helpers/grpc.ts';
import { messagePrefix, rawGrpcCall } from '../helpers/grpc-raw.ts';
import type { FileTree } from '../helpers/tmp-tree.ts';
import { contractRepository } from './kserve-contract.ts';

export interface GrpcContractTarget {
  /** HOST:PORT of the gRPC listener. */
  address: string;
  stop(): Promise<void>;
}

const countdown = (file: string) => readFileSync(new URL(`../../examples/models/countdown_js/${file}`, import.meta.url), 'utf8');

/** The KServe contract's repository plus the decoupled countdown_js example. */
export function grpcContractRepository(): FileTree {
  return { ...contractRepository(), 'countdown_js/config.pbtxt': countdown('config.pbtxt'), 'countdown_js/1/model.js': countdown('1/model.js') };
}

const A = Float32Array.from({ length: 16 }, (_, i) => i * 0.5);
const B = Float32Array.from({ length: 16 }, (_, i) => 3 - i);
const buf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const f32 = (b: Buffer) => {
  const c = new Uint8Array(b.byteLength);
  c.set(b);
  return Array.from(new Float32Array(c.buffer));
};
const IO = [
  { name: 'INPUT0', datatype: 'FP32', shape: [1, 16] },
  { name: 'INPUT1', datatype: 'FP32', shape: [1, 16] },
];

export function grpcContract(name: string, start: (repository: FileTree) => Promise<GrpcContractTarget>): void {
  describe(`gRPC contract: ${name}`, () => {
    let target: GrpcContractTarget;
    let c: GrpcClient;
    beforeAll(async () => {
      target = await start(grpcContractRepository());
      c = grpcClient(target.address);
    }, 120_000);
    afterAll(async () => {
      c?.close();
      await target?.stop();
    });

    it('health: ServerLive, ServerReady, ModelReady and grpc.health.v1', async () => {
      expect(await c.call('ServerLive', {})).toEqual({ live: true });
      expect(await c.call('ServerReady', {})).toEqual({ ready: true });
      expect(await c.call('ModelReady', { name: 'add_sub' })).toEqual({ ready: true });
      expect(await c.call('ModelReady', { name: 'nope' })).toEqual({ ready: false });
      expect(await c.health()).toEqual({ status: 'SERVING' });
    });

    it('server and model metadata, config', async () => {
      const server = await c.call('ServerMetadata', {});
      expect(server.version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
      expect(server.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'model_repository', 'statistics', 'logging']));
      const meta = await c.call('ModelMetadata', { name: 'add_sub' });
      expect({ ...meta, inputs: meta.inputs.map((i: Msg) => ({ ...i, shape: i.shape.map(Number) })) }).toMatchObject({
        name: 'add_sub',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [-1, 16] },
          { name: 'INPUT1', datatype: 'FP32', shape: [-1, 16] },
        ],
      });
      const { config } = await c.call('ModelConfig', { name: 'add_sub' });
      expect([config.name, Number(config.max_batch_size), config.dynamic_batching.preferred_batch_size.map(Number)]).toEqual(['add_sub', 8, [8]]);
    });

    it('inference with raw_input_contents (as Triton clients send it)', async () => {
      const res = await c.call('ModelInfer', { model_name: 'add_sub', id: 'c1', inputs: IO, raw_input_contents: [buf(A), buf(B)] });
      expect([res.id, res.model_name, res.model_version]).toEqual(['c1', 'add_sub', '1']);
      expect(f32(res.raw_output_contents[0])).toEqual(Array.from(A, (a, i) => a + B[i]!));
      expect(f32(res.raw_output_contents[1])).toEqual(Array.from(A, (a, i) => a - B[i]!));
    });

    it('inference with typed contents', async () => {
      const res = await c.call('ModelInfer', {
        model_name: 'add_sub',
        inputs: [
          { ...IO[0], contents: { fp32_contents: Array.from(A) } },
          { ...IO[1], contents: { fp32_contents: Array.from(B) } },
        ],
      });
      expect(f32(res.raw_output_contents[0])).toEqual(Array.from(A, (a, i) => a + B[i]!));
    });

    it('BYTES tensors and classification', async () => {
      const x = Array.from({ length: 16 }, (_, i) => String(i * 3));
      const y = Array.from({ length: 16 }, (_, i) => String(i));
      const res = await c.call('ModelInfer', {
        model_name: 'simple_string',
        inputs: [
          { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], contents: { bytes_contents: x.map((s) => Buffer.from(s)) } },
          { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], contents: { bytes_contents: y.map((s) => Buffer.from(s)) } },
        ],
      });
      const strings = (b: Buffer) => {
        const out: string[] = [];
        for (let off = 0; off < b.length; off += 4 + b.readUInt32LE(off)) out.push(b.subarray(off + 4, off + 4 + b.readUInt32LE(off)).toString());
        return out;
      };
      expect(strings(res.raw_output_contents[0])).toEqual(x.map((v, i) => String(Number(v) + i)));
      const input = [1, 0, -1, 2];
      const { w, b } = classifierWeights();
      const logits = Array.from({ length: 5 }, (_, j) => input.reduce((s, xi, i) => s + xi * w[i * 5 + j]!, b[j]!));
      const top = logits.indexOf(Math.max(...logits));
      const cls = await c.call('ModelInfer', {
        model_name: 'classifier',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4] }],
        outputs: [{ name: 'OUTPUT0', parameters: { classification: { int64_param: '1' } } }],
        raw_input_contents: [buf(Float32Array.from(input))],
      });
      const [, index, label] = strings(cls.raw_output_contents[0])[0]!.split(':');
      expect([Number(index), label]).toEqual([top, ['cat', 'dog', 'bird', 'fish', 'horse'][top]]);
    });

    it('errors: status codes and Triton messages', async () => {
      const unknown = await c.fail('ModelInfer', { model_name: 'nope', inputs: IO, raw_input_contents: [buf(A), buf(B)] });
      expect([unknown.code, unknown.details]).toEqual([Status.NOT_FOUND, "Request for unknown model: 'nope' is not found"]);
      const mixed = await c.fail('ModelInfer', {
        model_name: 'add_sub',
        inputs: [{ ...IO[0], contents: { fp32_contents: Array.from(A) } }, IO[1]],
        raw_input_contents: [buf(B)],
      });
      expect([mixed.code, mixed.details]).toEqual([
        Status.INVALID_ARGUMENT,
        "contents field must not be specified when using raw_input_contents for 'INPUT0' for model 'add_sub'",
      ]);
      const shape = await c.fail('ModelInfer', {
        model_name: 'add_sub',
        inputs: [{ ...IO[0], shape: [1, 15] }, IO[1]],
        raw_input_contents: [buf(A.subarray(1)), buf(B)],
      });
      expect(shape.code).toBe(Status.INVALID_ARGUMENT);
      expect(shape.details).toMatch(/unexpected shape for input 'INPUT0' for model 'add_sub'/);
      const load = await c.fail('RepositoryModelLoad', { model_name: 'add_sub' });
      expect([load.code, load.details]).toEqual([Status.UNAVAILABLE, 'explicit model load / unload is not allowed if polling is enabled']);
      const decoupled = await c.fail('ModelInfer', {
        model_name: 'countdown_js',
        inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
        raw_input_contents: [buf(Int32Array.of(1))],
      });
      expect(decoupled.code).toBe(Status.UNIMPLEMENTED);
    });

    it('streams: ordinary responses in order, a decoupled model streams its responses', async () => {
      const call = c.stream();
      const done = collect(call);
      call.write({ model_name: 'add_sub', id: 's1', inputs: IO, raw_input_contents: [buf(A), buf(B)] });
      call.write({
        model_name: 'countdown_js',
        id: 'cd',
        inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
        raw_input_contents: [buf(Int32Array.of(3))],
      });
      call.write({ model_name: 'nope', id: 's2' });
      call.end();
      const { messages, error } = await done;
      expect(error).toBeUndefined();
      const cd = messages.filter((m) => m.infer_response.id === 'cd');
      expect(cd.map((m) => Buffer.from(m.infer_response.raw_output_contents[0]).readInt32LE(0))).toEqual([3, 2, 1, 0]);
      expect(cd.map((m) => m.infer_response.parameters.triton_final_response.bool_param)).toEqual([false, false, false, true]);
      const ordinary = messages.filter((m) => m.infer_response.id !== 'cd');
      expect(ordinary.map((m) => [m.infer_response.id, m.error_message])).toEqual([
        ['s1', ''],
        ['s2', "Request for unknown model: 'nope' is not found"],
      ]);
    });

    it('a deadline ends the call with DEADLINE_EXCEEDED; a message declared past the limit is RESOURCE_EXHAUSTED; the server goes on', async () => {
      const big = 16 * 1024 * 1024;
      const late = await c.fail(
        'ModelInfer',
        { model_name: 'add_sub', inputs: [{ ...IO[0], shape: [1, big] }, IO[1]], raw_input_contents: [Buffer.alloc(big * 4), buf(B)] },
        { deadlineMs: 50 },
      );
      expect(late.code).toBe(Status.DEADLINE_EXCEEDED);
      const huge = await rawGrpcCall(target.address, 'ModelInfer', [messagePrefix(3_000_000_000), new Uint8Array(1024)], { keepOpen: true });
      expect(huge.status).toBe(Status.RESOURCE_EXHAUSTED);
      const res = await c.call('ModelInfer', { model_name: 'add_sub', inputs: IO, raw_input_contents: [buf(A), buf(B)] });
      expect(f32(res.raw_output_contents[0])).toEqual(Array.from(A, (a, i) => a + B[i]!));
    });

    it('statistics count the gRPC requests', async () => {
      const stats = await c.call('ModelStatistics', { name: 'add_sub' });
      expect(stats.model_stats[0]).toMatchObject({ name: 'add_sub', version: '1' });
      expect(Number(stats.model_stats[0].inference_stats.success.count)).toBeGreaterThanOrEqual(4);
      expect(Number(stats.model_stats[0].inference_stats.fail.count)).toBeGreaterThanOrEqual(1);
    });
  });
}
