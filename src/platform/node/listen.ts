import type { ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { InferenceServer, ServerApi } from '../../core/index.ts';
import { createHttpApp } from '../../transports/http/app.ts';
import { createMetricsApp } from '../../transports/http/metrics.ts';
import type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, PlatformListen, ServeOptions } from '../shape.ts';
import { responseCloseSignal } from './close-signal.ts';
import { withGrpcFrontends, withHttpFrontends } from '../frontends.ts';
import { nodeSharesPorts } from './frontend-options.ts';
import { startFrontends } from './frontends.ts';
import { nodeHttpIo } from './http-io.ts';
import { nodeProcessSample } from './process-metrics.ts';

export type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../shape.ts';

/** Serves a fetch handler on a Node HTTP server (`reusePort`: beside other threads on the same port). */
export function listen(fetch: (req: Request) => Response | Promise<Response>, opts: ListenOptions & { reusePort?: boolean } = {}): Promise<Listener> {
  const address = opts.address ?? '0.0.0.0';
  return new Promise((resolveListen, reject) => {
    const serverOptions = opts.maxHeaderSize ? { maxHeaderSize: opts.maxHeaderSize } : {};
    const http = createAdaptorServer({ fetch, serverOptions });
    http.listen({ port: opts.port ?? 8000, host: address, reusePort: opts.reusePort === true }, () => {
      const info = http.address() as AddressInfo;
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

/** The KServe v2 hono app with Node's fast paths (on the engine thread or a front-end thread). */
export function httpAppFor(server: ServerApi, opts: ServeOptions): ReturnType<typeof createHttpApp> {
  return createHttpApp(server, {
    io: nodeHttpIo,
    remoteAddress: (c) => getConnInfo(c).remote.address,
    cancelSignal: (c) => {
      const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      return res ? responseCloseSignal(res) : c.req.raw.signal;
    },
    ...opts,
  });
}

/** Listens beside other threads on the same port. */
export const listenShared = (fetch: (req: Request) => Response | Promise<Response>, opts: ListenOptions): Promise<Listener> =>
  listen(fetch, { ...opts, reusePort: true });

let warnedThreads = false;

/**
 * Serves the KServe v2 hono app. With `threads` > 1 (--http-thread-count), that many threads
 * share the port: this one and `threads - 1` front-end threads that hand requests to this one.
 */
export async function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<Listener> {
  const threads = opts.threads ?? 1;
  const app = httpAppFor(server, threads > 1 && nodeSharesPorts() ? { ...opts, thread: '0' } : opts);
  if (threads <= 1) return listen(app.fetch, opts);
  if (!nodeSharesPorts()) {
    if (!warnedThreads)
      server.log.warn(
        `--http-thread-count ${threads}: Node ${process.versions.node} cannot share a port between threads (SO_REUSEPORT needs Node 22.12 or later); serving HTTP on one thread`,
      );
    warnedThreads = true;
    return listen(app.fetch, opts);
  }
  const main = await listenShared(app.fetch, opts);
  return withHttpFrontends(server, main, threads, opts, startFrontends);
}

/** Serves GET /metrics (Prometheus) on its own port, as Triton does, with this process's `process_*` series. */
export function serveMetrics(server: InferenceServer, opts: ListenOptions = {}): Promise<Listener> {
  return listen(createMetricsApp(server, { processSampler: nodeProcessSample }).fetch, { port: 8002, ...opts });
}

/**
 * Serves Triton's gRPC service on its own port (8001), on @grpc/grpc-js (over node:http2). Loaded on first use, so
 * a server without gRPC never loads the HTTP/2 stack.
 */
export async function serveGrpc(server: InferenceServer, opts: GrpcListenOptions = {}): Promise<GrpcListener> {
  const { listenGrpc } = await import('../../transports/grpc/listen.ts');
  const threads = opts.threads ?? 1;
  if (threads <= 1 || !nodeSharesPorts()) return listenGrpc(server, opts);
  const main = await listenGrpc(server, { ...opts, reusePort: true });
  return withGrpcFrontends(server, main, threads, opts, startFrontends);
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
