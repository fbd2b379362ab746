// A closed-loop gRPC load generator on @grpc/grpc-js (a devDependency; loaded only when installed):
// `concurrency` ModelInfer calls in flight on one channel (HTTP/2 multiplexes them), raw input
// contents, for a window of `seconds`; latency percentiles from every call's own time.
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './wrk.ts';

const PROTO = fileURLToPath(new URL('../proto', import.meta.url));

interface GrpcJs {
  credentials: { createInsecure(): unknown };
  loadPackageDefinition(def: unknown): Record<string, Record<string, new (address: string, creds: unknown, options: Record<string, unknown>) => InferClient>>;
}
interface ProtoLoader {
  loadSync(file: string, opts: Record<string, unknown>): unknown;
}
interface InferClient {
  ModelInfer(req: unknown, cb: (err: Error | null, res?: { raw_output_contents?: Uint8Array[] }) => void): void;
  waitForReady(deadline: number, cb: (err?: Error) => void): void;
  close(): void;
}

export interface GrpcInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The client modules, or why there are none. */
export async function loadGrpc(): Promise<{ grpc: GrpcJs; loader: ProtoLoader } | string> {
  // Names in variables: the type check does not require the devDependencies to be installed.
  const grpcName = '@grpc/grpc-js';
  const loaderName = '@grpc/proto-loader';
  try {
    const grpc = (await import(grpcName)) as { default?: GrpcJs } & GrpcJs;
    const loader = (await import(loaderName)) as { default?: ProtoLoader } & ProtoLoader;
    return { grpc: grpc.default ?? grpc, loader: loader.default ?? loader };
  } catch (e) {
    return `@grpc/grpc-js and @grpc/proto-loader are not installed (${(e as Error).message.split('\n')[0]})`;
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** A client of inference.GRPCInferenceService at `address` (host:port), from proto/grpc_service.proto. */
export async function grpcInferClient(mods: { grpc: GrpcJs; loader: ProtoLoader }, address: string): Promise<InferClient> {
  const def = mods.loader.loadSync('grpc_service.proto', { includeDirs: [PROTO], keepCase: true, longs: Number, enums: String, defaults: false });
  const Service = mods.grpc.loadPackageDefinition(def).inference!.GRPCInferenceService!;
  // No message size limits, as Triton's clients are configured.
  const client = new Service(address, mods.grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  return client;
}

/** `concurrency` callers, each sending the next ModelInfer as soon as the last one answered, for `seconds`. */
export async function runGrpcLoad(client: InferClient, model: string, inputs: GrpcInput[], concurrency: number, seconds: number): Promise<LoadResult> {
  const request = {
    model_name: model,
    model_version: '1',
    inputs: inputs.map((i) => ({ name: i.name, datatype: 'FP32', shape: i.shape })),
    raw_input_contents: inputs.map((i) => Buffer.from(i.data.buffer, i.data.byteOffset, i.data.byteLength)),
  };
  const call = () => new Promise<boolean>((resolve) => client.ModelInfer(request, (err, res) => resolve(!err && (res?.raw_output_contents?.length ?? 0) > 0)));
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const ok = await call();
        const e = performance.now();
        if (e > end) break; // answered after the window closed: not counted, as with wrk
        if (ok) latencies.push((e - s) * 1000);
        else errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length + errors,
    seconds,
    throughput: (latencies.length + errors) / seconds,
    errors,
    p50Us: percentile(latencies, 50),
    p90Us: percentile(latencies, 90),
    p99Us: percentile(latencies, 99),
  };
}
