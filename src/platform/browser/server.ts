import { createLogger, InferenceServer, type RepositoryMount } from '../../core/index.ts';
import type { DownloadProgress } from '../../transports/worker/protocol.ts';
import { memory } from '../drivers/memory.ts';
import { type BrowserCapabilities, probeCapabilities } from './capabilities.ts';
import { jsBrowserBackend } from './js-backend.ts';
import type { RepositorySpec, WorkerServerOptions } from './options.ts';
import { onnxruntimeBackend } from '../ort/session-backend.ts';
import type { CreateServerOptions } from '../shape.ts';
import { browserOrtRuntime, browserProviders } from './ort.ts';
import { mountRepositories } from './repositories.ts';

export interface BrowserServerOptions extends Omit<CreateServerOptions, 'repositories' | 'executionProvider'>, Omit<WorkerServerOptions, 'repositories'> {
  /** Base URLs (each holding a `repository.json`), specs, or mounted drivers when the caller builds them. */
  repositories: (string | RepositorySpec | RepositoryMount)[];
  /** Download progress of model files. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Capabilities to use instead of probing them (`probeCapabilities()`). */
  capabilities?: BrowserCapabilities;
}

/** Directory of this script: the build puts onnxruntime-web's files and js-worker.js next to it. */
const here = () => new URL('./', import.meta.url).href;

/** What `auto` picks for a model's CPU instances here: WebGPU on a hardware adapter, else WASM. */
export function defaultProvider(caps: BrowserCapabilities): 'webgpu' | 'wasm' {
  return browserProviders(caps).auto.CPU[0] === 'webgpu' ? 'webgpu' : 'wasm';
}

/**
 * The browser composition root (the same name every platform entry exports): repositories over
 * http (+ IndexedDB cache) or memory, onnxruntime-web and the JavaScript backend, EXPLICIT model
 * control by default. Not started: call `start()`.
 */
export async function createServer(opts: BrowserServerOptions): Promise<InferenceServer> {
  const caps = opts.capabilities ?? (await probeCapabilities());
  const log = opts.log ?? createLogger({ verbose: opts.logVerbose, quiet: opts.quiet });
  const provider = opts.executionProvider && opts.executionProvider !== 'auto' ? opts.executionProvider : defaultProvider(caps);
  const gpu = caps.webgpu.available
    ? `adapter ${caps.webgpu.adapter}${caps.webgpu.fallbackAdapter ? ' (software fallback)' : ''}`
    : `unavailable (${caps.webgpu.reason})`;
  log.info(
    `nereid: WebGPU ${gpu}, IndexedDB ${caps.indexedDb ? 'available' : 'unavailable'}, ${caps.cpuCount} cores; models run on ${provider} unless their config asks otherwise`,
  );
  const { onProgress, capabilities: _caps, wasmPaths, threads, jsWorkerUrl, logVerbose: _v, quiet: _q, maxInputSize: _m, ...server } = opts;
  return new InferenceServer({
    ...server,
    repositories: mountRepositories(opts.repositories, caps.indexedDb, onProgress),
    backends: [
      onnxruntimeBackend({ web: async () => browserOrtRuntime(caps, { wasmPaths: wasmPaths ?? here(), threads }) }),
      jsBrowserBackend({ workerUrl: jsWorkerUrl ?? new URL('js-worker.js', here()).href }),
      ...(opts.backends ?? []),
    ],
    executionProvider: opts.executionProvider ?? 'auto',
    providers: browserProviders(caps),
    controlMode: opts.controlMode ?? 'explicit',
    pollIntervalMs: opts.pollIntervalMs ?? 5000,
    runtime: 'browser',
    cpuCount: caps.cpuCount,
    // onnxruntime-web sessions in one worker never run in parallel: one CPU instance is enough.
    defaultCpuInstances: 1,
    // No CUDA devices here: instance groups default to KIND_CPU; where they run is the provider table's choice.
    gpuCount: 0,
    log,
    createOverrideStore: async () => memory(),
  });
}
