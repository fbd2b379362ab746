// The gRPC listener: connect-node's handler on a node:http2 server (Node, and Deno through its
// Node compatibility). The service itself (service.ts) knows nothing of sockets.
import { constants, createServer, type Http2ServerRequest, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { type GrpcServer, type GrpcServiceOptions, PEER } from './context.ts';
import { specTrailers } from './grpc-message.ts';
import { KEEPALIVE_DEFAULTS, type KeepaliveOptions, keepalive } from './keepalive.ts';
import { createGrpcService } from './service.ts';

/**
 * Triton's largest gRPC message (MAX_GRPC_MESSAGE_SIZE = INT32_MAX): room for its 1 GB tensor.
 * @defaultValue 2147483647
 */
export const DEFAULT_GRPC_MAX_INPUT_SIZE = 2 ** 31 - 1;

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

/** HTTP/2 flow-control windows large enough that a big tensor is not sent 64 KiB at a time. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const SESSION_WINDOW = 16 * 1024 * 1024;

export function listenGrpc(server: GrpcServer, opts: GrpcListenOptions = {}): Promise<GrpcListener> {
  const service = createGrpcService(server, opts);
  const shutdown = new AbortController();
  const handler = connectNodeAdapter({
    routes: (router) => service.routes(router),
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes: opts.maxInputSize ?? DEFAULT_GRPC_MAX_INPUT_SIZE,
    interceptors: service.interceptors,
    shutdownSignal: shutdown.signal,
    contextValues: (req) => createContextValues().set(PEER, (req as Http2ServerRequest).socket?.remoteAddress),
    fallback: unknownMethod,
  });
  const address = opts.address ?? '0.0.0.0';
  const alive: KeepaliveOptions = { ...KEEPALIVE_DEFAULTS, ...opts.keepalive };
  const sessions = new Set<ServerHttp2Session>();
  const http2 = createServer({ settings: { initialWindowSize: STREAM_WINDOW }, maxSessionMemory: 1024 }, (req, res) => {
    // A call answered before its client finished sending (a message over the limit, an error
    // found early): RST_STREAM(NO_ERROR) after the trailers tells it to stop, as gRPC servers do.
    const stream = req.stream;
    stream.once('wantTrailers', () => {
      if (!req.readableEnded) setImmediate(() => stream.destroyed || stream.close(constants.NGHTTP2_NO_ERROR));
    });
    handler(req, specTrailers(res));
  });
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.setLocalWindowSize(SESSION_WINDOW);
    keepalive(session, alive);
  });
  const closed = new Promise<void>((r) => http2.once('close', () => r()));
  let draining = false;
  const drain = () => {
    if (draining) return;
    draining = true;
    service.drain();
    http2.close();
    for (const s of sessions) s.close();
  };
  return new Promise((resolveListen, reject) => {
    http2.once('error', reject);
    http2.listen({ port: opts.port ?? 8001, host: address, reusePort: opts.reusePort === true }, () => {
      http2.off('error', reject);
      const port = (http2.address() as AddressInfo).port;
      resolveListen({
        url: `${address.includes(':') ? `[${address}]` : address}:${port}`,
        port,
        drain,
        close: async () => {
          drain();
          shutdown.abort();
          // Give cancelled calls a moment to send their status, then drop what is left.
          const grace = setTimeout(() => {
            for (const s of sessions) s.destroy();
          }, 1000);
          await closed;
          clearTimeout(grace);
        },
      });
    });
  });
}

/** A method this server does not have: gRPC's UNIMPLEMENTED, in a trailers-only response. */
function unknownMethod(req: { url?: string }, res: { writeHead(status: number, headers: Record<string, string>): unknown; end(): unknown }): void {
  res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': encodeURIComponent(`unknown method ${req.url}`) });
  res.end();
}
