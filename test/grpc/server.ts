/**
 * A real Node server (onnxruntime-node, the JavaScript backend, a repository on disk) with the
 * gRPC listener on a free loopback port, reached by the independent grpc-js client, and its HTTP
 * app in-process for comparisons.
 */
import { createHttpApp, createServer, type InferenceServer, type NodeServerOptions, serveGrpc } from '../../src/platform/node/index.ts';
import type { GrpcListener, GrpcListenOptions } from '../../src/platform/shape.ts';
import { type GrpcClient, grpcClient } from '../helpers/grpc.ts';
import { type FileTree, tmpTree } from '../helpers/tmp.ts';

export interface GrpcTestServer {
  server: InferenceServer;
  listener: GrpcListener;
  client: GrpcClient;
  repo: string;
  /** The HTTP app of the same server, in-process. */
  http(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function startGrpcServer(files: FileTree, opts: Partial<NodeServerOptions> = {}, grpc: GrpcListenOptions = {}): Promise<GrpcTestServer> {
  const repo = tmpTree(files);
  const server = await createServer({ repositories: [repo], cuda: { available: false, deviceCount: 0, reason: 'tests run on CPU' }, cpuCount: 2, ...opts });
  await server.start();
  const listener = await serveGrpc(server, { port: 0, address: '127.0.0.1', ...grpc });
  const client = grpcClient(listener.url);
  const app = createHttpApp(server);
  return {
    server,
    listener,
    client,
    repo,
    http: async (path, init) => app.request(path, init),
    stop: async () => {
      client.close();
      listener.drain();
      await server.stop(1000);
      await listener.close();
    },
  };
}

/** add_sub (onnxruntime): OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1, FP32 [-1, 16]. */
export const ADD_SUB_CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

/** Bytes of a typed array, as a Buffer for grpc-js. */
export const raw = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A Buffer's bytes as a typed array of `ctor` (copied: grpc-js buffers may be unaligned). */
export function typed<T>(ctor: { new (b: ArrayBuffer): T }, b: Buffer): T {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new ctor(copy.buffer);
}

/** An add_sub ModelInferRequest with raw contents. */
export function addSubRequest(a: Float32Array, b: Float32Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_name: 'add_sub',
    inputs: [
      { name: 'INPUT0', datatype: 'FP32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'FP32', shape: [1, 16] },
    ],
    raw_input_contents: [raw(a), raw(b)],
    ...extra,
  };
}
