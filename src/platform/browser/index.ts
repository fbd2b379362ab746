/**
 * The page side of Nereid in the browser (dist/browser/index.js): starts the worker server and
 * talks to it with the worker transport's client. Nothing heavy runs on the page.
 */
import { createWorkerClient, type DownloadProgress, type WorkerClient } from '../../transports/worker/client.ts';
import type { BrowserCapabilities } from './capabilities.ts';
import { MSG, type RepositorySpec, type WorkerServerOptions } from './options.ts';

export { createWorkerClient } from '../../transports/worker/client.ts';
export type { DownloadProgress, InferOptions, TensorInput, TensorOutput, WorkerClient } from '../../transports/worker/client.ts';
export type { BrowserCapabilities } from './capabilities.ts';
export type { RepositorySpec, WorkerServerOptions } from './options.ts';
export { useServiceWorker, type ServiceWorkerOptions } from './service-worker-client.ts';

export interface StartWorkerServerOptions extends WorkerServerOptions {
  /** The worker script. @defaultValue dist/worker/worker.js, found from this module's URL */
  workerUrl?: string | URL;
  /** Worker name shown in developer tools. @defaultValue 'nereid' */
  name?: string;
}

export interface WorkerServerHandle {
  /** A client that keeps working across `recycle()` (it always talks to the current worker). */
  readonly client: WorkerClient;
  readonly worker: Worker;
  /** What the worker found: WebGPU adapter (or why none), IndexedDB, cores. */
  capabilities(): Promise<BrowserCapabilities>;
  /**
   * Restarts the worker: the only way to hand WebAssembly memory back to the browser (it grows
   * but never shrinks, even after every model is unloaded). In EXPLICIT mode the models that
   * were ready are loaded again (from the IndexedDB cache when enabled) unless `reload` is false.
   */
  recycle(opts?: { reload?: boolean }): Promise<void>;
  terminate(): void;
  /** Download progress of model files (`source: 'cache'` when they came from IndexedDB). Returns an unsubscribe function. */
  onProgress(cb: (progress: DownloadProgress) => void): () => void;
  /** Serves the worker server over one more port (service worker mode, other windows). */
  connect(port: MessagePort): void;
  /** Called after each `recycle()` started a new worker (to reconnect extra ports). */
  onRestart(cb: () => void | Promise<void>): () => void;
}

interface Running {
  worker: Worker;
  client: WorkerClient;
  failed: Promise<never>;
  capabilities: Promise<BrowserCapabilities>;
}

/** Starts Nereid in a dedicated Web Worker. Wait for `handle.client.started()` before inferring. */
export function startWorkerServer(options: StartWorkerServerOptions): WorkerServerHandle {
  const { workerUrl = new URL('../worker/worker.js', import.meta.url), name = 'nereid', ...rest } = options;
  const serverOptions = resolveUrls(rest);
  const progress = new Set<(p: DownloadProgress) => void>();
  const restarts = new Set<() => void | Promise<void>>();

  const spawn = (): Running => {
    const worker = new Worker(workerUrl, { type: 'module', name });
    const failed = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (ev) =>
        reject(new Error(`nereid: worker ${String(workerUrl)} failed: ${ev.message || 'the script could not be loaded'}`)),
      );
    });
    failed.catch(() => undefined);
    let ready: (c: BrowserCapabilities) => void = () => undefined;
    const capabilities = new Promise<BrowserCapabilities>((resolve) => (ready = resolve));
    worker.addEventListener('message', (ev: MessageEvent) => {
      if (ev.data?.type === MSG.progress) for (const cb of progress) cb(ev.data.progress as DownloadProgress);
      else if (ev.data?.type === MSG.ready) ready(ev.data.capabilities as BrowserCapabilities);
    });
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ type: MSG.init, options: serverOptions }, [port2]);
    return { worker, client: createWorkerClient(port1), failed, capabilities: Promise.race([capabilities, failed]) };
  };
  let current = spawn();
  const guard = <T>(fn: (c: WorkerClient) => Promise<T>): Promise<T> => {
    const run = current;
    return Promise.race([fn(run.client), run.failed]);
  };

  const client: WorkerClient = {
    fetch: (input, init) => guard((c) => c.fetch(input, init)),
    infer: (model, inputs, opts) => guard((c) => c.infer(model, inputs, opts)),
    load: (model, parameters) => guard((c) => c.load(model, parameters)),
    unload: (model, opts) => guard((c) => c.unload(model, opts)),
    index: (readyOnly) => guard((c) => c.index(readyOnly)),
    ready: (model) => guard((c) => c.ready(model)),
    started: () => guard((c) => c.started()),
    close: () => current.client.close(),
  };
  const stop = (run: Running) => {
    run.client.close();
    run.worker.terminate();
  };

  return {
    client,
    get worker() {
      return current.worker;
    },
    capabilities: () => current.capabilities,
    async recycle({ reload = true } = {}) {
      const explicit = (serverOptions.controlMode ?? 'explicit') === 'explicit';
      const ready = reload && explicit ? await client.index(true).catch(() => []) : [];
      const old = current;
      current = spawn();
      stop(old);
      for (const cb of restarts) await cb();
      await client.started();
      for (const name of new Set(ready.map((e) => e.name))) await client.load(name);
    },
    terminate: () => stop(current),
    onProgress(cb) {
      progress.add(cb);
      return () => progress.delete(cb);
    },
    connect(port) {
      current.worker.postMessage({ type: MSG.connect }, [port]);
    },
    onRestart(cb) {
      restarts.add(cb);
      return () => restarts.delete(cb);
    },
  };
}

/** URLs in the options are resolved against the page, not the worker script. */
function resolveUrls(opts: WorkerServerOptions): WorkerServerOptions {
  const abs = (u: string) => new URL(u, location.href).href;
  const repositories = opts.repositories.map((r: RepositorySpec) => ('http' in r ? { ...r, http: abs(r.http) } : r));
  return {
    ...opts,
    repositories,
    ...(opts.wasmPaths ? { wasmPaths: abs(opts.wasmPaths) } : {}),
    ...(opts.jsWorkerUrl ? { jsWorkerUrl: abs(opts.jsWorkerUrl) } : {}),
  };
}
