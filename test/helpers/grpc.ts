/**
 * A gRPC client for the tests: @grpc/grpc-js with @grpc/proto-loader reading
 * proto/grpc_service.proto at run time (messages independent of the server's protobuf-es
 * code; the server is grpc-js too, so test/helpers/grpc-raw.ts and grpcio.test.ts check the
 * wire with other implementations), configured as Triton's clients are (no message size limits).
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../proto', import.meta.url));
const LOAD_OPTIONS: loader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO] };
const definition = loader.loadSync(['grpc_service.proto', 'health.proto'], LOAD_OPTIONS);
const packages = grpc.loadPackageDefinition(definition) as unknown as {
  inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** Status codes by name, as grpc-js reports them. */
export const Status = grpc.status;

export interface CallOptions {
  /** Metadata headers. */
  metadata?: Record<string, string>;
  /** A deadline this many milliseconds from now. */
  deadlineMs?: number;
}

/** A failed call: its gRPC status code and message. */
export interface GrpcFailure extends Error {
  code: grpc.status;
  details: string;
}

// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects shaped by the proto at run time
export type Msg = Record<string, any>;

export interface GrpcClient {
  /** Calls a unary RPC of GRPCInferenceService by its name (e.g. 'ModelInfer'). */
  call(method: string, request: Msg, opts?: CallOptions): Promise<Msg>;
  /** Like call, but resolves with the failure (rejects when the call succeeds). */
  fail(method: string, request: Msg, opts?: CallOptions): Promise<GrpcFailure>;
  /** Opens ModelStreamInfer. */
  stream(opts?: CallOptions): grpc.ClientDuplexStream<Msg, Msg>;
  /** grpc.health.v1.Health/Check. */
  health(service?: string): Promise<Msg>;
  close(): void;
}

const CHANNEL: grpc.ChannelOptions = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 };

function metadataOf(headers: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return md;
}

type Callback = (err: GrpcFailure | null, res: Msg) => void;
/** The methods of a client made from a loaded package definition, by name. */
type Methods = Record<string, (this: grpc.Client, ...args: unknown[]) => unknown> & grpc.Client;

/** A client of the server at `address` (HOST:PORT). */
export function grpcClient(address: string): GrpcClient {
  const creds = grpc.credentials.createInsecure();
  const service = new packages.inference.GRPCInferenceService(address, creds, CHANNEL) as unknown as Methods;
  const health = new packages.grpc.health.v1.Health(address, creds, CHANNEL) as unknown as Methods;
  const options = (opts: CallOptions): grpc.CallOptions => (opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs });
  const call = (method: string, request: Msg, opts: CallOptions = {}) =>
    new Promise<Msg>((resolveCall, reject) => {
      const fn = service[method];
      if (!fn) throw new Error(`no RPC ${method}`);
      const done: Callback = (err, res) => (err ? reject(err) : resolveCall(res));
      fn.call(service, request, metadataOf(opts.metadata), options(opts), done);
    });
  return {
    call,
    fail: (method, request, opts) =>
      call(method, request, opts).then(
        (res) => {
          throw new Error(`${method} succeeded: ${JSON.stringify(res).slice(0, 300)}`);
        },
        (e: GrpcFailure) => e,
      ),
    stream: (opts = {}) => service.ModelStreamInfer!.call(service, metadataOf(opts.metadata), options(opts)) as grpc.ClientDuplexStream<Msg, Msg>,
    health: (name = '') =>
      new Promise<Msg>((resolveCall, reject) =>
        health.Check!.call(health, { service: name }, ((err, res) => (err ? reject(err) : resolveCall(res))) as Callback),
      ),
    close: () => {
      service.close();
      health.close();
    },
  };
}

/** A parameter as InferParameter (oneof by its case name). */
export const param = {
  bool: (v: boolean): Msg => ({ bool_param: v }),
  int64: (v: number | bigint | string): Msg => ({ int64_param: String(v) }),
  uint64: (v: number | bigint | string): Msg => ({ uint64_param: String(v) }),
  string: (v: string): Msg => ({ string_param: v }),
  double: (v: number): Msg => ({ double_param: v }),
};

/** An InferParameter's value as grpc-js decodes it (64-bit integers as strings). */
export function paramValue(p: Msg | undefined): unknown {
  if (!p) return undefined;
  return p[p.parameter_choice as string];
}

/** Reads a stream until it ends; resolves with what arrived and how it ended. */
export function collect(call: grpc.ClientDuplexStream<Msg, Msg>): Promise<{ messages: Msg[]; error?: GrpcFailure }> {
  const messages: Msg[] = [];
  return new Promise((resolveAll) => {
    call.on('data', (m: Msg) => messages.push(m));
    call.on('error', (error: GrpcFailure) => resolveAll({ messages, error }));
    call.on('end', () => resolveAll({ messages }));
  });
}
