/**
 * Nereid in a dedicated Web Worker (dist/worker/index.js): repository drivers (http + IndexedDB
 * cache, memory), the core, onnxruntime-web (WebGPU, else WASM), the JavaScript backend in nested
 * workers, and the same hono app as every other platform, served to the page over comlink.
 *
 * Memory: unloading a model releases its onnxruntime session, but a WebAssembly memory can
 * only grow, never shrink; the page's `recycle()` restarts the worker to give it all back.
 */
import type { Endpoint } from 'comlink';
import type { Hono } from 'hono';
import type { InferenceServer } from '../../core/index.ts';
import { createHttpApp } from '../../transports/http/app.ts';
import { exposeFetch } from '../../transports/worker/host.ts';
import { type BrowserCapabilities, probeCapabilities } from './capabilities.ts';
import { type BrowserServerOptions, createServer } from './server.ts';

export * from '../../core/index.ts';
export { createHttpApp } from '../../transports/http/app.ts';
export { exposeFetch } from '../../transports/worker/host.ts';
export { http, type HttpDriverOptions, type RepositoryListing } from '../drivers/http.ts';
export { indexedDb, type IdbKeyvalLib, type IndexedDbDriverOptions } from '../drivers/indexeddb.ts';
export { memory } from '../drivers/memory.ts';
export { type BrowserCapabilities, probeCapabilities } from './capabilities.ts';
export { jsBrowserBackend } from './js-backend.ts';
export type { RepositorySpec, WorkerServerOptions } from './options.ts';
export { type BrowserServerOptions, createServer, defaultProvider } from './server.ts';

export interface CreateWorkerServerOptions extends BrowserServerOptions {
  /** Serve over this endpoint right away (a worker's global scope, a MessagePort). */
  endpoint?: Endpoint;
}

export interface WorkerServer {
  server: InferenceServer;
  app: Hono;
  capabilities: Readonly<BrowserCapabilities>;
  /** Settles when the startup models are loaded (POLL mode: and polling started). */
  started: Promise<void>;
  /** Serves the app over one more endpoint (a service worker's port, another page's port). */
  serve(endpoint: Endpoint): void;
  stop(timeoutMs?: number): Promise<void>;
}

/** Composes the browser platform, starts loading the startup models and serves the hono app. */
export async function createWorkerServer(opts: CreateWorkerServerOptions): Promise<WorkerServer> {
  const capabilities = opts.capabilities ?? (await probeCapabilities());
  const server = await createServer({ ...opts, capabilities });
  const app = createHttpApp(server, { maxInputSize: opts.maxInputSize });
  const started = server.start();
  started.catch((e: Error) => server.log.error(`nereid worker: startup failed: ${e.message}`));
  const serve = (endpoint: Endpoint) => exposeFetch(app.fetch, endpoint, started);
  if (opts.endpoint) serve(opts.endpoint);
  return {
    server,
    app,
    capabilities,
    started,
    serve,
    async stop(timeoutMs = 5000) {
      await server.stop(timeoutMs);
    },
  };
}
