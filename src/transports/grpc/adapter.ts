// From the service's handlers to grpc-js: the method definitions come from the protobuf-es
// descriptors (paths, kinds, serializers), and each handler is adapted to grpc-js's call shape,
// so the RPC logic in the other files never sees grpc-js.
import { type DescMessage, fromBinary, type Message, type MessageShape, toBinary } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { MethodDefinition, ServerDuplexStream, ServerUnaryCall, ServiceDefinition, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallContext } from './context.ts';
import { toStatus } from './status.ts';

/** The handlers of a service by method (protobuf-es's local names): unary ones answer once, bidi ones stream. */
export type Handlers<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'bidi_streaming'
    ? (requests: AsyncIterable<MessageShape<T[K]['input']>>, ctx: CallContext) => AsyncIterable<MessageShape<T[K]['output']>>
    : (request: MessageShape<T[K]['input']>, ctx: CallContext) => Promise<MessageShape<T[K]['output']>>;
};

/** Checks a call before its handler runs (throws to refuse it); by method name, undefined when there is nothing to check. */
export type Guard = (method: string) => ((ctx: CallContext) => void) | undefined;

/** The calls in progress that hold a signal: closing the server aborts them. */
export class OpenCalls {
  private readonly live = new Set<AbortController>();
  private closing = false;

  add(c: AbortController): void {
    if (this.closing) c.abort();
    else this.live.add(c);
  }

  delete(c: AbortController): void {
    this.live.delete(c);
  }

  abortAll(): void {
    this.closing = true;
    for (const c of this.live) c.abort();
    this.live.clear();
  }
}

type Unary = (request: unknown, ctx: CallContext) => Promise<unknown>;
type Bidi = (requests: AsyncIterable<unknown>, ctx: CallContext) => AsyncIterable<unknown>;

/** A grpc-js service definition and implementation for `service`, served by `handlers`. */
export function grpcService<T extends GenServiceMethods>(
  service: GenService<T>,
  handlers: Handlers<T>,
  open: OpenCalls,
  guard?: Guard,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const definition: Record<string, MethodDefinition<Message, Message>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const m of service.methods) {
    const bidi = m.methodKind === 'bidi_streaming';
    if (!bidi && m.methodKind !== 'unary') throw new Error(`${service.typeName}.${m.name}: ${m.methodKind} methods are not adapted`);
    definition[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: bidi,
      responseStream: bidi,
      requestSerialize: serializer(m.input),
      requestDeserialize: deserializer(m.input),
      responseSerialize: serializer(m.output),
      responseDeserialize: deserializer(m.output),
      originalName: m.name,
    };
    const fn = (handlers as Record<string, Unary | Bidi>)[m.localName]!;
    const check = guard?.(m.name);
    implementation[m.localName] = bidi ? adaptBidi(fn as Bidi, open, check) : adaptUnary(fn as Unary, open, check);
  }
  return { definition, implementation };
}

/** A Buffer over the encoded bytes (no copy). */
const serializer = (schema: DescMessage) => (msg: Message) => {
  const bytes = toBinary(schema, msg);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

/**
 * Decoded `bytes` fields (tensor data) are views into the received message, and front-end threads
 * move (transfer) their buffer to the engine thread. grpc-js gives a large message a buffer of its
 * own (after the 5-byte prefix) but puts a small one (< 4 KiB) in Node's shared Buffer pool, which
 * cannot move: a message that shares its buffer is copied out first (cheap, it is small).
 */
const deserializer = (schema: DescMessage) => (bytes: Buffer) =>
  fromBinary(schema, bytes.buffer.byteLength - bytes.byteLength > 5 ? new Uint8Array(bytes) : bytes);

/** What the context reads of a grpc-js call, unary or bidi. */
type Call = Pick<ServerUnaryCall<unknown, unknown>, 'cancelled' | 'metadata' | 'getPeer'> & { once(event: 'cancelled', listener: () => void): unknown };

/** A call's context: its signal is made on first use (most RPCs never read it). */
function callContext(call: Call, open: OpenCalls): CallContext & { end(): void } {
  let ctl: AbortController | undefined;
  return {
    get signal() {
      if (ctl === undefined) {
        const c = new AbortController();
        ctl = c;
        if (call.cancelled) c.abort();
        else {
          // grpc-js says 'cancelled' on a client's cancel, a deadline, and once the call has ended.
          call.once('cancelled', () => c.abort());
          open.add(c);
        }
      }
      return ctl.signal;
    },
    header(name) {
      const v = call.metadata.get(name)[0];
      return v === undefined ? undefined : String(v);
    },
    get peer() {
      return address(call.getPeer());
    },
    end() {
      if (ctl) open.delete(ctl);
    },
  };
}

/** grpc-js's peer is HOST:PORT ('unknown' when the socket has gone): the host alone. */
function address(peer: string): string | undefined {
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer === 'unknown' ? undefined : peer;
}

function adaptUnary(fn: Unary, open: OpenCalls, check?: (ctx: CallContext) => void) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const ctx = callContext(call, open);
    const fail = (e: unknown) => {
      ctx.end();
      callback(toStatus(e));
    };
    let answer: Promise<unknown>;
    try {
      check?.(ctx);
      answer = fn(call.request, ctx);
    } catch (e) {
      fail(e);
      return;
    }
    answer.then((res) => {
      ctx.end();
      callback(null, res);
    }, fail);
  };
}

/**
 * A bidi call: the handler reads the requests from the call and its responses are written as they
 * come; the call ends with OK when they end, or with the status of what the handler threw.
 */
function adaptBidi(fn: Bidi, open: OpenCalls, check?: (ctx: CallContext) => void) {
  return (call: ServerDuplexStream<unknown, unknown>): void => {
    const ctx = callContext(call, open);
    void (async () => {
      try {
        check?.(ctx);
        // The handler may stop reading before the client stops sending: that must not destroy the call.
        for await (const msg of fn(call.iterator({ destroyOnReturn: false }), ctx)) call.write(msg);
        call.end();
      } catch (e) {
        // grpc-js ends the call with an 'error' event's code and details.
        call.emit('error', toStatus(e));
      } finally {
        ctx.end();
      }
    })();
  };
}
