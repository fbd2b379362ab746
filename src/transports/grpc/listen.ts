// The gRPC listener: a TCP server of its own (so front-end threads can share the port) handing each
// connection to a grpc-js server (Node, and Deno through its Node compatibility). The service
// itself (service.ts) knows nothing of sockets.
import { type AddressInfo, createServer } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { GrpcServer, GrpcServiceOptions } from './context.ts';
import { callEnd } from './call-end.ts';
import { createGrpcService } from './service.ts';

/**
 * Triton's largest gRPC message (MAX_GRPC_MESSAGE_SIZE = INT32_MAX): room for its 1 GB tensor.
 * @defaultValue 2147483647
 */
export const DEFAULT_GRPC_MAX_INPUT_SIZE = 2 ** 31 - 1;

/** Triton's --grpc-keepalive-* settings, as grpc-js's server honours them. */
export interface KeepaliveOptions {
  /** Milliseconds between the server's pings on a connection (--grpc-keepalive-time; 0 = never). */
  timeMs: number;
  /** Milliseconds a ping may go unanswered before the connection is closed (--grpc-keepalive-timeout). */
  timeoutMs: number;
  /**
   * --grpc-keepalive-permit-without-calls. Accepted for Triton's flag; grpc-js's server pings
   * every connection, idle or not, so pings go out as if it were always true.
   */
  permitWithoutCalls: boolean;
}

/** Triton's defaults: a ping every 2 hours, 20 s to answer. */
export const KEEPALIVE_DEFAULTS: KeepaliveOptions = { timeMs: 7_200_000, timeoutMs: 20_000, permitWithoutCalls: false };

export interface GrpcListenOptions extends GrpcServiceOptions {
  /** @defaultValue 8001; 0 picks a free port */
  port?: number;
  /** @defaultValue '0.0.0.0' */
  address?: string;
  /**
   * Largest message a client may send (--grpc-max-input-size): a larger one is refused with
   * RESOURCE_EXHAUSTED from its length prefix, before it is read.
   */
  maxInputSize?: number;
  keepalive?: Partial<KeepaliveOptions>;
  /** Beside other threads on the same port (SO_REUSEPORT). */
  reusePort?: boolean;
  /**
   * Threads serving gRPC on the port (--http-thread-count applies to gRPC too).
   * @defaultValue 1
   */
  threads?: number;
}

/** A listening gRPC server. */
export interface GrpcListener {
  /** ADDRESS:PORT, the form gRPC clients take (`tritonclient.grpc.InferenceServerClient("localhost:8001")`). */
  url: string;
  port: number;
  /** Shutdown begins: no new connections or calls (GOAWAY), streams end once their requests are answered. */
  drain(): void;
  /** Ends what is still open (calls are cancelled) and resolves once the server is closed. */
  close(): Promise<void>;
}

/** Longest timer Node keeps (a longer one fires at once); grpc-js reads it as "never ping". */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function listenGrpc(server: GrpcServer, opts: GrpcListenOptions = {}): Promise<GrpcListener> {
  const service = createGrpcService(server, opts);
  const alive: KeepaliveOptions = { ...KEEPALIVE_DEFAULTS, ...opts.keepalive };
  const grpc = new Server({
    'grpc.max_receive_message_length': opts.maxInputSize ?? DEFAULT_GRPC_MAX_INPUT_SIZE,
    'grpc.max_send_message_length': DEFAULT_GRPC_MAX_INPUT_SIZE,
    'grpc.keepalive_time_ms': Math.min(alive.timeMs, MAX_TIMER_MS),
    'grpc.keepalive_timeout_ms': Math.min(alive.timeoutMs, MAX_TIMER_MS),
    interceptors: [callEnd],
  });
  service.addTo(grpc);
  const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
  const tcp = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  // Resolves once every connection has ended (the TCP server counts the sockets it accepted).
  const closed = new Promise<void>((r) => tcp.once('close', () => r()));
  const address = opts.address ?? '0.0.0.0';
  let draining = false;
  const drain = () => {
    if (draining) return;
    draining = true;
    service.drain();
    tcp.close();
    // GOAWAY on every connection; each closes once its calls have ended.
    grpc.tryShutdown(() => {});
  };
  return new Promise((resolveListen, reject) => {
    tcp.once('error', (e) => {
      grpc.forceShutdown();
      reject(e);
    });
    tcp.listen({ port: opts.port ?? 8001, host: address, reusePort: opts.reusePort === true }, () => {
      tcp.removeAllListeners('error');
      const port = (tcp.address() as AddressInfo).port;
      resolveListen({
        url: `${address.includes(':') ? `[${address}]` : address}:${port}`,
        port,
        drain,
        close: async () => {
          drain();
          service.cancelAll();
          // Give cancelled calls a moment to send their status, then drop what is left.
          const grace = setTimeout(() => grpc.forceShutdown(), 1000);
          await closed;
          clearTimeout(grace);
          grpc.forceShutdown();
        },
      });
    });
  });
}
