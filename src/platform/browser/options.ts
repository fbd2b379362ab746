import type { ControlMode, RepositoryMount } from '../../core/index.ts';

/** The providers a browser has: onnxruntime-web's. */
export type BrowserProvider = 'auto' | 'webgpu' | 'wasm';

/** A repository described as plain data, so it can be posted to the worker. */
export type RepositorySpec =
  | {
      /** URL of a directory holding `repository.json` (written by `npx nereid repo index DIR`). */
      http: string;
      namespace?: string;
      headers?: Record<string, string>;
      /** Keep downloaded files in IndexedDB and reuse them on the next page load. @defaultValue true */
      cache?: boolean | { dbName?: string };
    }
  | {
      /** Files handed over by page code: repository-relative path → contents. */
      files: Record<string, Uint8Array | string>;
      namespace?: string;
    };

/**
 * Options of a worker server. Everything here is structured-cloneable: `startWorkerServer` posts
 * it to the worker, whose script passes it to `createWorkerServer`.
 */
export interface WorkerServerOptions {
  repositories: RepositorySpec[];
  /** @defaultValue 'explicit' (load models on request) */
  controlMode?: ControlMode;
  /** EXPLICIT mode: models loaded at startup ('*' = all). */
  startupModels?: string[];
  /** POLL mode: milliseconds between repository scans. @defaultValue 5000 */
  pollIntervalMs?: number;
  /**
   * Default execution provider; a model's config may still ask for another (parameter
   * `execution_provider`, or a `webgpu`/`wasm` execution accelerator).
   * @defaultValue 'auto': WebGPU when a hardware adapter is found, else WASM
   */
  executionProvider?: BrowserProvider;
  /** Directory of onnxruntime-web's runtime files. @defaultValue the worker script's directory */
  wasmPaths?: string;
  /** WASM threads (more than one needs a cross-origin-isolated page). */
  threads?: number;
  /** URL of js-worker.js for `backend: "js"` models. @defaultValue next to the worker script */
  jsWorkerUrl?: string;
  /** Server name (GET /v2). @defaultValue 'nereid' */
  id?: string;
  namespacing?: boolean;
  strictReadiness?: boolean;
  /** Fail startup when a startup model fails to load. @defaultValue true */
  exitOnError?: boolean;
  /** Largest accepted request body in bytes. */
  maxInputSize?: number;
  /** 0 = info; 1+ adds verbose messages. */
  logVerbose?: number;
  /** Only warnings and errors in the console. */
  quiet?: boolean;
}

export type { RepositoryMount };

/** Messages between the page, the worker script and the service worker (besides comlink's). */
export const MSG = {
  /** page → worker: `{ type, options }` with the comlink port in `ports[0]`. */
  init: 'nereid:init',
  /** page → worker or service worker: one more comlink port in `ports[0]`. */
  connect: 'nereid:connect',
  /** worker → page: `{ type, capabilities }` once the server is composed. */
  ready: 'nereid:ready',
  /** worker → page: `{ type, progress }`. */
  progress: 'nereid:progress',
  /** service worker → page: a port is needed (the service worker restarted). */
  needPort: 'nereid:need-port',
  /** service worker → page: the port arrived. */
  connected: 'nereid:connected',
} as const;
