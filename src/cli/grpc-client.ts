// The command-line tools' gRPC client (`nereid perf -i grpc`, `nereid stress`) on @grpc/grpc-js, the
// library the server runs on: the calls come from the protobuf-es descriptor of GRPCInferenceService
// (paths, kinds) with protobuf-es (de)serializers, as src/transports/grpc/adapter.ts does for the server.
import { create, type DescMessage, fromBinary, type MessageInitShape, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { Client, type ClientDuplexStream, type ClientUnaryCall, credentials, Metadata, status } from '@grpc/grpc-js';
import { GRPCInferenceService } from '../transports/grpc/gen/grpc_service_pb.ts';

type Methods = typeof GRPCInferenceService.method;
type In<K extends keyof Methods> = MessageInitShape<Methods[K]['input']>;
type Out<K extends keyof Methods> = MessageShape<Methods[K]['output']>;
type UnaryName = { [K in keyof Methods]: Methods[K]['methodKind'] extends 'unary' ? K : never }[keyof Methods];
type StreamName = { [K in keyof Methods]: Methods[K]['methodKind'] extends 'bidi_streaming' ? K : never }[keyof Methods];

export interface CallOptions {
  /** The call's gRPC deadline, in ms from now: past it the call ends with DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** Aborting it cancels the call (CANCELLED). */
  signal?: AbortSignal;
}

/** A bidi call: responses in order (the iteration ends when the server ends the call with OK, and throws its status otherwise). */
export interface BidiStream<I, O> extends AsyncIterable<O> {
  /** Sends a request; rejects when it cannot be sent (the call has ended). */
  write(request: I): Promise<void>;
  /** Half-closes: no more requests. */
  end(): void;
  /** Cancels the call (the server cancels what is in flight). */
  cancel(): void;
}

/** GRPCInferenceService's calls: unary ones resolve with the response or reject with the call's status (see `callStatus`). */
export type InferenceClient = { [K in UnaryName]: (request: In<K>, opts?: CallOptions) => Promise<Out<K>> } & {
  [K in StreamName]: (opts?: CallOptions) => BidiStream<In<K>, Out<K>>;
};

/** Messages up to 2 GiB - 1 each way (Triton's stress scenario sends a 1 GB tensor). */
const MAX_MESSAGE = 2 ** 31 - 1;

/** A Buffer over the encoded bytes (no copy). */
const serializer = (schema: DescMessage) => (msg: MessageInitShape<DescMessage>) => {
  const bytes = toBinary(schema, create(schema, msg));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};
const deserializer = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);

/**
 * A client of Triton's GRPCInferenceService at HOST:PORT over plain HTTP/2 (one connection, every
 * call and stream multiplexed on it). `close()` cancels the calls still open and closes the channel.
 */
export function grpcInferenceClient(address: string): { client: InferenceClient; close(): void } {
  const grpc = new Client(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  const open = new Set<{ cancel(): void }>();
  const track = <T extends ClientUnaryCall | ClientDuplexStream<unknown, unknown>>(call: T, opts: CallOptions): T => {
    const cancel = () => call.cancel();
    open.add(call);
    if (opts.signal?.aborted) call.cancel();
    else opts.signal?.addEventListener('abort', cancel, { once: true });
    call.once('status', () => {
      open.delete(call);
      opts.signal?.removeEventListener('abort', cancel);
    });
    return call;
  };
  const options = (opts: CallOptions) => (opts.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs });
  const unary =
    <I, O>(path: string, serialize: (msg: I) => Buffer, deserialize: (bytes: Buffer) => O) =>
    (request: I, opts: CallOptions = {}) =>
      new Promise<O>((resolve, reject) =>
        track(
          grpc.makeUnaryRequest(path, serialize, deserialize, request, new Metadata(), options(opts), (err, res) => (err ? reject(err) : resolve(res as O))),
          opts,
        ),
      );
  const client: Record<string, unknown> = {};
  for (const m of GRPCInferenceService.methods) {
    const path = `/${GRPCInferenceService.typeName}/${m.name}`;
    if (m.methodKind === 'unary') client[m.localName] = unary(path, serializer(m.input), deserializer(m.output));
    else if (m.methodKind === 'bidi_streaming')
      client[m.localName] = (opts: CallOptions = {}) =>
        bidi(track(grpc.makeBidiStreamRequest(path, serializer(m.input), deserializer(m.output), new Metadata(), options(opts)), opts));
  }
  return {
    client: client as InferenceClient,
    close() {
      for (const call of open) call.cancel();
      grpc.close();
    },
  };
}

function bidi<I, O>(call: ClientDuplexStream<I, O>): BidiStream<I, O> {
  // The call's status reaches whoever iterates the responses; without a listener an error nobody reads would throw.
  call.on('error', () => {});
  return {
    write: (request) => new Promise((resolve, reject) => call.write(request, (e: Error | null | undefined) => (e ? reject(e) : resolve()))),
    end: () => call.end(),
    cancel: () => call.cancel(),
    [Symbol.asyncIterator]: () => call[Symbol.asyncIterator](),
  };
}

/** A failed call's status: grpc-js's error carries the code and the details (anything else is UNKNOWN with its message). */
export function callStatus(e: unknown): { code: number; name: string; details: string } {
  const err = e as { code?: unknown; details?: unknown; message?: unknown } | null;
  if (typeof err?.code === 'number' && typeof err.details === 'string')
    return { code: err.code, name: status[err.code] ?? String(err.code), details: err.details };
  return { code: status.UNKNOWN, name: 'UNKNOWN', details: typeof err?.message === 'string' ? err.message : String(e) };
}

/**
 * Why a call reached no server: the socket's error code (ECONNREFUSED, ...) when grpc-js names one,
 * else its message; undefined for a call that a server answered.
 */
export function unreachableReason(e: unknown): string | undefined {
  const s = callStatus(e);
  if (s.code !== status.UNAVAILABLE || !/^(No connection established|Name resolution failed)/.test(s.details)) return undefined;
  return /\b(E[A-Z][A-Z_]+)\b/.exec(s.details)?.[1] ?? s.details;
}
