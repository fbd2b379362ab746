import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponseSchema,
  ModelStreamInferResponseSchema,
  ServerLiveRequestSchema,
  ServerLiveResponseSchema,
} from '../../src/transports/grpc/gen/grpc_service_pb.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { ADD_SUB_CONFIG, type GrpcTestServer, startGrpcServer } from './server.ts';

/**
 * gRPC's C-core (python3-grpcio, the transport of Triton's Python client tritonclient.grpc)
 * calling the server: unary RPCs, a deadline and a stream with a decoupled model. Messages are
 * bytes made here; the client needs no generated code. Skipped only where python3-grpcio is
 * missing outside CI (CI installs it).
 */
const PYTHON = '/usr/bin/python3';
const hasGrpcio = spawnSync(PYTHON, ['-c', 'import grpc'], { encoding: 'utf8' }).status === 0;
const skip = !hasGrpcio && process.env.CI !== 'true';
if (skip) console.warn('NOTICE: grpcio tests skipped: python3-grpcio is not installed (apt-get install python3-grpcio)');

/** Reads calls as JSON on stdin and answers each with its response bytes (base64) or its status. */
const CLIENT = `
import base64, json, sys
import grpc
spec = json.load(sys.stdin)
channel = grpc.insecure_channel(spec["address"], options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
ident = lambda b: b
out = []
for call in spec["calls"]:
    path = "/inference.GRPCInferenceService/" + call["method"]
    metadata = [tuple(kv) for kv in call.get("metadata", [])]
    try:
        if call.get("stream"):
            rpc = channel.stream_stream(path, request_serializer=ident, response_deserializer=ident)
            responses = rpc(iter([base64.b64decode(r) for r in call["requests"]]), timeout=call.get("timeout"), metadata=metadata)
            out.append({"responses": [base64.b64encode(r).decode() for r in responses]})
        else:
            rpc = channel.unary_unary(path, request_serializer=ident, response_deserializer=ident)
            r = rpc(base64.b64decode(call["request"]), timeout=call.get("timeout"), metadata=metadata)
            out.append({"response": base64.b64encode(r).decode()})
    except grpc.RpcError as e:
        out.append({"code": e.code().name, "details": e.details()})
print(json.dumps(out))
`;

interface CallResult {
  response?: string;
  responses?: string[];
  code?: string;
  details?: string;
}

let t: GrpcTestServer;
let script: string;
beforeAll(async () => {
  if (skip) return;
  const countdown = (f: string) => new URL(`../../examples/models/countdown_js/${f}`, import.meta.url);
  const { readFileSync } = await import('node:fs');
  t = await startGrpcServer({
    'add_sub/config.pbtxt': ADD_SUB_CONFIG,
    'add_sub/1/model.onnx': addSubModel(),
    'countdown_js/config.pbtxt': readFileSync(countdown('config.pbtxt'), 'utf8'),
    'countdown_js/1/model.js': readFileSync(countdown('1/model.js'), 'utf8'),
  });
  script = join(tmpTree(), 'client.py');
  writeFileSync(script, CLIENT);
});
afterAll(() => t?.stop());

/** Runs the client (asynchronously: the server answers from this process). */
function python(calls: object[]): Promise<CallResult[]> {
  return new Promise((resolveRun, reject) => {
    const p = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolveRun(JSON.parse(stdout)) : reject(new Error(`python3 exited with ${code}: ${stderr}`))));
    p.stdin.end(JSON.stringify({ address: t.listener.url, calls }));
  });
}
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const f32 = (a: number[]) => new Uint8Array(Float32Array.from(a).buffer);
const i32 = (n: number) => new Uint8Array(Int32Array.of(n).buffer);
const addSub = (a: number[], b: number[], model = 'add_sub') =>
  toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, {
      modelName: model,
      id: 'py',
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [1n, 16n] },
        { name: 'INPUT1', datatype: 'FP32', shape: [1n, 16n] },
      ],
      rawInputContents: [f32(a), f32(b)],
    }),
  );

describe.skipIf(skip)('python3-grpcio (C-core) client', () => {
  const a = Array.from({ length: 16 }, (_, i) => i * 1.5);
  const b = Array.from({ length: 16 }, (_, i) => 10 - i);

  it('unary RPCs, errors with their codes, a deadline', async () => {
    const big = 32 * 1024 * 1024;
    const late = create(ModelInferRequestSchema, {
      modelName: 'add_sub',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1n, BigInt(big / 4)] }],
      rawInputContents: [new Uint8Array(big)],
    });
    const [live, meta, infer, unknown, deadline, named] = await python([
      { method: 'ServerLive', request: b64(toBinary(ServerLiveRequestSchema, create(ServerLiveRequestSchema))) },
      { method: 'ModelMetadata', request: b64(toBinary(ModelMetadataRequestSchema, create(ModelMetadataRequestSchema, { name: 'add_sub' }))) },
      { method: 'ModelInfer', request: b64(addSub(a, b)) },
      { method: 'ModelInfer', request: b64(addSub(a, b, 'nope')) },
      { method: 'ModelInfer', request: b64(toBinary(ModelInferRequestSchema, late)), timeout: 0.05 },
      { method: 'ModelInfer', request: b64(addSub(a, b, 'nöpe 100% 模型: x/y')) },
    ]);
    expect(fromBinary(ServerLiveResponseSchema, bytes(live!.response!)).live).toBe(true);
    expect(fromBinary(ModelMetadataResponseSchema, bytes(meta!.response!)).inputs.map((i) => i.shape.map(Number))).toEqual([
      [-1, 16],
      [-1, 16],
    ]);
    const res = fromBinary(ModelInferResponseSchema, bytes(infer!.response!));
    expect(res.id).toBe('py');
    expect(Array.from(new Float32Array(res.rawOutputContents[0]!.slice().buffer))).toEqual(a.map((x, i) => x + b[i]!));
    expect(unknown).toEqual({ code: 'NOT_FOUND', details: "Request for unknown model: 'nope' is not found" });
    expect(deadline!.code).toBe('DEADLINE_EXCEEDED');
    expect(deadline!.details).toMatch(/Deadline Exceeded/);
    // grpc-message is percent-encoded: C-core decodes ':', '%', spaces and non-ASCII text back as sent.
    expect(named).toEqual({ code: 'NOT_FOUND', details: "Request for unknown model: 'nöpe 100% 模型: x/y' is not found" });
  });

  it('a stream: decoupled responses and an error_message', async () => {
    const countdown = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'countdown_js',
        id: 'cd',
        inputs: [{ name: 'IN', datatype: 'INT32', shape: [1n] }],
        rawInputContents: [i32(2)],
      }),
    );
    const [stream] = await python([{ method: 'ModelStreamInfer', stream: true, requests: [b64(countdown), b64(addSub(a, b, 'nope'))] }]);
    const messages = stream!.responses!.map((r) => fromBinary(ModelStreamInferResponseSchema, bytes(r)));
    const cd = messages.filter((m) => m.inferResponse?.id === 'cd');
    expect(cd.map((m) => new Int32Array(m.inferResponse!.rawOutputContents[0]!.slice().buffer)[0])).toEqual([2, 1, 0]);
    expect(cd.map((m) => m.inferResponse!.parameters.triton_final_response!.parameterChoice.value)).toEqual([false, false, true]);
    expect(messages.find((m) => m.inferResponse?.id === 'py')?.errorMessage).toBe("Request for unknown model: 'nope' is not found");
  });
});
