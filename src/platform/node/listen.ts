import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { serve as honoServe } from '@hono/node-server';
import type { InferenceServer } from '../../core/index.ts';
import type { ServerResponse } from 'node:http';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createHttpApp, type HttpAppOptions } from '../../transports/http/app.ts';
import { createMetricsApp } from '../../transports/http/metrics.ts';
import { responseCloseSignal } from './close-signal.ts';

export interface ServeOptions extends HttpAppOptions {
  port?: number;
  address?: string;
  /** Largest request head (request line + headers) in bytes; larger requests get 431. */
  maxHeaderSize?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once open connections are closed. */
  close(): Promise<void>;
}

/** Serves a fetch handler on a Node HTTP server. */
export function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, address: string, maxHeaderSize?: number): Promise<RunningServer> {
  return new Promise((resolveListen, reject) => {
    const serverOptions = maxHeaderSize ? { maxHeaderSize } : {};
    const http = honoServe({ fetch, port, hostname: address, serverOptions }, (info: AddressInfo) => {
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
export function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<RunningServer> {
  const app = createHttpApp(server, {
    remoteAddress: (c) => getConnInfo(c).remote.address,
    cancelSignal: (c) => {
      const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      return res ? responseCloseSignal(res) : c.req.raw.signal;
    },
    ...opts,
  });
  return listen(app.fetch, opts.port ?? 8000, opts.address ?? '0.0.0.0', opts.maxHeaderSize);
}

/** Serves GET /metrics (Prometheus) on its own port, as Triton does. */
export function serveMetrics(server: InferenceServer, opts: { port?: number; address?: string } = {}): Promise<RunningServer> {
  return listen(createMetricsApp(server).fetch, opts.port ?? 8002, opts.address ?? '0.0.0.0');
}

/** Binds `port` on `address` until closed (rejects with Node's system error, e.g. code EADDRINUSE). */
export function holdPort(port: number, address: string): Promise<{ close(): Promise<void> }> {
  return new Promise((resolveHold, reject) => {
    const socket = createNetServer();
    socket.once('error', reject);
    socket.listen({ port, host: address }, () => resolveHold({ close: () => new Promise<void>((done) => socket.close(() => done())) }));
  });
}
