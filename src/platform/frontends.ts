// Front-end threads beside the engine thread's listener, the same on every runtime that has them:
// each platform brings only its way of starting a thread (node/frontends.ts, deno/frontends.ts).
import type { InferenceServer } from '../core/index.ts';
import type { FrontendOptions, GrpcListener, GrpcListenOptions, Listener, ServeOptions } from './shape.ts';

/** Starts `count` front-end threads with `options`; resolves once every one listens. */
export type StartFrontends = (server: InferenceServer, count: number, options: FrontendOptions) => Promise<{ close(): Promise<void> }>;

/** The engine's log settings a front-end thread starts with (changes follow over its port). */
const logOf = (server: InferenceServer): FrontendOptions['log'] => ({
  verbose: server.log.verboseLevel ?? 0,
  format: server.log.settings?.format ?? 'default',
});

/** Runs `threads - 1` front-end threads serving HTTP on `main`'s port; one listener closes them all. */
export async function withHttpFrontends(
  server: InferenceServer,
  main: Listener,
  threads: number,
  opts: ServeOptions,
  start: StartFrontends,
): Promise<Listener> {
  const http: FrontendOptions['http'] = {
    port: main.port,
    address: opts.address ?? '0.0.0.0',
    maxHeaderSize: opts.maxHeaderSize,
    maxInputSize: opts.maxInputSize,
    maxPending: opts.maxPending,
    restricted: opts.restricted,
    corsOrigin: opts.corsOrigin,
  };
  const frontends = await start(server, threads - 1, { log: logOf(server), http }).catch(async (e: unknown) => {
    await main.close();
    throw e;
  });
  return {
    url: main.url,
    port: main.port,
    threads,
    async close() {
      await frontends.close();
      await main.close();
    },
  };
}

/** Runs `threads - 1` front-end threads serving gRPC on `main`'s port; draining one drains them all. */
export async function withGrpcFrontends(
  server: InferenceServer,
  main: GrpcListener,
  threads: number,
  opts: GrpcListenOptions,
  start: StartFrontends,
): Promise<GrpcListener> {
  const { audit: _audit, threads: _threads, ...grpc } = opts;
  const frontends = await start(server, threads - 1, { log: logOf(server), grpc: { ...grpc, port: main.port } }).catch(async (e: unknown) => {
    await main.close();
    throw e;
  });
  return {
    url: main.url,
    port: main.port,
    drain: () => {
      main.drain();
      void frontends.close();
    },
    async close() {
      await frontends.close();
      await main.close();
    },
  };
}
