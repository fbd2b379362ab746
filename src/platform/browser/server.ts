import { createLogger, type ExecutionBackend, InferenceServer, type Logger, type RepositoryMount } from '../../core/index.ts';
import type { DownloadProgress } from '../../transports/worker/protocol.ts';
import { memory } from '../drivers/memory.ts';
import { type BrowserCapabilities, probeCapabilities } from './capabilities.ts';
import { jsBrowserBackend } from './js-backend.ts';
import type { RepositorySpec, WorkerServerOptions } from './options.ts';
import { browserOrtBackend } from './ort.ts';
import { mountRepositories } from './repositories.ts';

export interface BrowserServerOptions extends Omit<WorkerServerOptions, 'repositories'> {
  /** Specs, or mounted drivers when the caller builds them. */
  repositories: (RepositorySpec | RepositoryMount)[];
  /** Download progress of model files. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Backends in addition to onnxruntime-web and the JavaScript backend. */
  backends?: ExecutionBackend[];
  log?: Logger;
  /** Capabilities to use instead of probing them (`probeCapabilities()`). */
  capabilities?: BrowserCapabilities;
}

/** Directory of this script: the build puts onnxruntime-web's files and js-worker.js next to it. */
const here = () => new URL('./', import.meta.url).href;

/** WebGPU on a hardware adapter; WASM otherwise (a software WebGPU adapter is far slower than WASM on the same CPU). */
export function defaultProvider(caps: BrowserCapabilities): 'webgpu' | 'wasm' {
  return caps.webgpu.available && !caps.webgpu.fallbackAdapter ? 'webgpu' : 'wasm';
}

/**
 * The browser composition root (the same name every platform entry exports): repositories over
 * http (+ IndexedDB cache) or memory, onnxruntime-web and the JavaScript backend, EXPLICIT model
 * control by default. Not started: call `start()`.
 */
export async function createServer(opts: BrowserServerOptions): Promise<InferenceServer> {
  const caps = opts.capabilities ?? (await probeCapabilities());
  const log = opts.log ?? createLogger({ verbose: opts.logVerbose, quiet: opts.quiet });
  const provider = opts.executionProvider ?? defaultProvider(caps);
  const gpu = caps.webgpu.available
    ? `adapter ${caps.webgpu.adapter}${caps.webgpu.fallbackAdapter ? ' (software fallback)' : ''}`
    : `unavailable (${caps.webgpu.reason})`;
  log.info(
    `nereid: WebGPU ${gpu}, IndexedDB ${caps.indexedDb ? 'available' : 'unavailable'}, ${caps.cpuCount} cores; models run on ${provider} unless their config asks otherwise`,
  );
  return new InferenceServer({
    id: opts.id,
    repositories: mountRepositories(opts.repositories, caps.indexedDb, opts.onProgress),
    backends: [
      browserOrtBackend(caps, { provider, wasmPaths: opts.wasmPaths ?? here(), threads: opts.threads }),
      jsBrowserBackend({ workerUrl: opts.jsWorkerUrl ?? new URL('js-worker.js', here()).href }),
      ...(opts.backends ?? []),
    ],
    controlMode: opts.controlMode ?? 'explicit',
    pollIntervalMs: opts.pollIntervalMs ?? 5000,
    startupModels: opts.startupModels,
    namespacing: opts.namespacing,
    strictReadiness: opts.strictReadiness,
    exitOnError: opts.exitOnError,
    cpuCount: caps.cpuCount,
    // onnxruntime-web sessions in one worker never run in parallel: one CPU instance is enough.
    defaultCpuInstances: 1,
    // One "GPU" when WebGPU is the default, so instance groups default to one KIND_GPU instance
    // (on WASM they default to Triton's two KIND_CPU instances).
    gpuCount: provider === 'webgpu' && caps.webgpu.available ? 1 : 0,
    log,
    createOverrideStore: async () => memory(),
  });
}
