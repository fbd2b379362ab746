import type { InferenceServer, ServerApi } from '../../core/index.ts';
import { createHttpApp } from '../../transports/http/app.ts';
import { createMetricsApp } from '../../transports/http/metrics.ts';
import type { DenoApi } from '../../types/deno.d.ts';
import type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, PlatformListen, ServeOptions } from '../shape.ts';
import { withGrpcFrontends, withHttpFrontends } from '../frontends.ts';
import { denoProcessSample } from './process-metrics.ts';

declare const Deno: DenoApi & { listen(options: { port: number; hostname: string }): { close(): void } };

export type { GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../shape.ts';

/**
 * The size of a request's head as it came over HTTP/1.1 (request line and header lines).
 * Deno.serve has no limit of its own to set, so `serve` measures it from the parsed request.
 */
export function requestHeadSize(req: Request): number {
  const url = new URL(req.url);
  let n = req.method.length + url.pathname.length + url.search.length + 13; // ' ', ' HTTP/1.1\r\n', final '\r\n'
  req.headers.forEach((value, name) => (n += name.length + value.length + 4));
  return n;
}

/** Serves a fetch handler with `Deno.serve`; resolves once it listens (port 0 = any free port). */
export function listen(
  fetch: (req: Request, info?: unknown) => Response | Promise<Response>,
  opts: ListenOptions & { reusePort?: boolean } = {},
): Promise<Listener> {
  const address = opts.address ?? '0.0.0.0';
  const max = opts.maxHeaderSize;
  const handler =
    max === undefined
      ? fetch
      : (req: Request, info?: unknown) =>
          requestHeadSize(req) > max ? Response.json({ error: `request header fields too large (limit ${max} bytes)` }, { status: 431 }) : fetch(req, info);
  return new Promise((resolveListen, reject) => {
    try {
      const http = Deno.serve(
        {
          port: opts.port ?? 8000,
          hostname: address,
          reusePort: opts.reusePort === true,
          onListen: (addr) => {
            const host = address.includes(':') ? `[${address}]` : address;
            resolveListen({ url: `http://${host}:${addr.port}`, port: addr.port, close: () => http.shutdown() });
          },
        },
        (req, info) => handler(req, info),
      );
    } catch (e) {
      reject(e);
    }
  });
}

/** The KServe v2 hono app as Deno serves it (on the engine thread or a front-end thread). */
export function httpAppFor(server: ServerApi, opts: ServeOptions): ReturnType<typeof createHttpApp> {
  return createHttpApp(server, { remoteAddress: (c) => (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname, ...opts });
}

/**
 * Serves the KServe v2 hono app. With `threads` > 1 (--http-thread-count), that many threads
 * share the port (Deno.serve's reusePort): this one and `threads - 1` front-end Web Workers that
 * hand requests to this one.
 */
export async function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<Listener> {
  const threads = opts.threads ?? 1;
  const app = httpAppFor(server, threads > 1 ? { ...opts, thread: '0' } : opts);
  if (threads <= 1) return listen((req, info) => app.fetch(req, info), opts);
  let main: Listener;
  try {
    main = await listen((req, info) => app.fetch(req, info), { ...opts, reusePort: true });
  } catch (e) {
    // Deno gates reusePort behind --unstable-net (`deno task serve` passes it).
    if (!/unstable/i.test((e as Error).message)) throw e;
    server.log.warn(`--http-thread-count ${threads}: this Deno cannot share a port between threads (${(e as Error).message}); serving HTTP on one thread`);
    return listen((req, info) => app.fetch(req, info), opts);
  }
  const { startFrontends } = await import('./frontends.ts');
  return withHttpFrontends(server, main, threads, opts, startFrontends);
}

/** Serves GET /metrics (Prometheus) on its own port, as Triton does, with this process's `process_*` series. */
export function serveMetrics(server: InferenceServer, opts: ListenOptions = {}): Promise<Listener> {
  const app = createMetricsApp(server, { processSampler: denoProcessSample });
  return listen((req) => app.fetch(req), { port: 8002, ...opts });
}

/**
 * Serves Triton's gRPC service on its own port (8001), on @grpc/grpc-js through Deno's Node compatibility (node:http2). Loaded on first use, so
 * a server without gRPC never loads the HTTP/2 stack.
 */
export async function serveGrpc(server: InferenceServer, opts: GrpcListenOptions = {}): Promise<GrpcListener> {
  const { listenGrpc } = await import('../../transports/grpc/listen.ts');
  const threads = opts.threads ?? 1;
  if (threads <= 1) return listenGrpc(server, opts);
  const main = await listenGrpc(server, { ...opts, reusePort: true });
  const { startFrontends } = await import('./frontends.ts');
  return withGrpcFrontends(server, main, threads, opts, startFrontends);
}

/** Binds `port` on `address` until closed; errors carry Node's codes (EADDRINUSE, ...). */
export async function holdPort(port: number, hostname: string): Promise<{ close(): Promise<void> }> {
  try {
    const listener = Deno.listen({ port, hostname });
    return { close: async () => listener.close() };
  } catch (e) {
    // A name that does not resolve has no code in Deno ("failed to lookup address information").
    if ((e as { code?: string }).code === undefined && /lookup address/.test((e as Error).message)) throw Object.assign(e as Error, { code: 'ENOTFOUND' });
    throw e;
  }
}

export const denoListen: PlatformListen = { listen, serve, serveMetrics, serveGrpc, holdPort };
