import type { ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { serve as honoServe } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { InferenceServer } from '../../core/index.ts';
import { createHttpApp } from '../../transports/http/app.ts';
import { createMetricsApp } from '../../transports/http/metrics.ts';
import type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, PlatformListen, ServeOptions } from '../shape.ts';
import { responseCloseSignal } from './close-signal.ts';
import { nodeHttpIo } from './http-io.ts';
import { nodeProcessSample } from './process-metrics.ts';

export type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../shape.ts';

/** Serves a fetch handler on a Node HTTP server. */
export function listen(fetch: (req: Request) => Response | Promise<Response>, opts: ListenOptions = {}): Promise<Listener> {
  const address = opts.address ?? '0.0.0.0';
  return new Promise((resolveListen, reject) => {
    const serverOptions = opts.maxHeaderSize ? { maxHeaderSize: opts.maxHeaderSize } : {};
    const http = honoServe({ fetch, port: opts.port ?? 8000, hostname: address, serverOptions }, (info: AddressInfo) => {
      const host = address.includes(':') ? `[${address}]` : address;
      resolveListen({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            http.close(() => done());
            (http as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    http.once('error', reject);
  });
}

/** Serves the KServe v2 hono app. */
export function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<Listener> {
  const app = createHttpApp(server, {
    io: nodeHttpIo,
    remoteAddress: (c) => getConnInfo(c).remote.address,
    cancelSignal: (c) => {
      const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      return res ? responseCloseSignal(res) : c.req.raw.signal;
    },
    ...opts,
  });
  return listen(app.fetch, opts);
}

/** Serves GET /metrics (Prometheus) on its own port, as Triton does, with this process's `process_*` series. */
export function serveMetrics(server: InferenceServer, opts: ListenOptions = {}): Promise<Listener> {
  return listen(createMetricsApp(server, { processSampler: nodeProcessSample }).fetch, { port: 8002, ...opts });
}

/**
 * Serves Triton's gRPC service on its own port (8001), over Node's HTTP/2 server. Loaded on first use, so
 * a server without gRPC never loads the HTTP/2 stack.
 */
export async function serveGrpc(server: InferenceServer, opts: GrpcListenOptions = {}): Promise<GrpcListener> {
  const { listenGrpc } = await import('../../transports/grpc/listen.ts');
  return listenGrpc(server, opts);
}

/** Binds `port` on `address` until closed (rejects with Node's system error, e.g. code EADDRINUSE). */
export function holdPort(port: number, address: string): Promise<{ close(): Promise<void> }> {
  return new Promise((resolveHold, reject) => {
    const socket = createNetServer();
    socket.once('error', reject);
    socket.listen({ port, host: address }, () => resolveHold({ close: () => new Promise<void>((done) => socket.close(() => done())) }));
  });
}

export const nodeListen: PlatformListen = { listen, serve, serveMetrics, serveGrpc, holdPort };
