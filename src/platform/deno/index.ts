import { type BackendInstance, type ExecutionBackend, InferenceServer, type Logger, type RepositoryMount, type ServerOptions } from '../../core/index.ts';
import { createHttpApp, type HttpAppOptions } from '../../transports/http/app.ts';
import { createMetricsApp } from '../../transports/http/metrics.ts';
import type { DenoApi } from '../../types/deno.d.ts';
import { absolutePath, baseName, fsDeno } from '../drivers/fs-deno.ts';
import { jsBackend, type WorkerHandle } from '../js-backend/host.ts';
import type { CudaStatus } from '../ort/node/backend.ts';
import { type OrtWebModule, ortWebBackend, requestedProvider } from '../ort/web.ts';
import { type ProviderName, ortRouter } from '../ort/router.ts';
import { removedAtExit } from './exit-cleanup.ts';

declare const Deno: DenoApi;

export * from '../../core/index.ts';
export { createHttpApp } from '../../transports/http/app.ts';
export { createMetricsApp } from '../../transports/http/metrics.ts';
export { fsDeno } from '../drivers/fs-deno.ts';
export { memory } from '../drivers/memory.ts';

export interface DenoServerOptions extends Omit<ServerOptions, 'repositories' | 'backends'> {
  /** Default execution provider (--execution-provider); webgpu/wasm run on onnxruntime-web. */
  executionProvider?: ProviderName;
  /** Repository directories, as `DIR` or `NAME=DIR` (NAME is the namespace). */
  modelRepositories: (string | RepositoryMount)[];
  /** Backends in addition to onnxruntime and the JavaScript backend. */
  backends?: ExecutionBackend[];
  /** Skip CUDA detection (CPU only). */
  cuda?: CudaStatus;
  /** JavaScript-backend calls taking longer fail and restart the worker (0 = no limit). */
  executionTimeoutMs?: number;
}

/**
 * Deno's Web Worker, captured before onnxruntime-web loads: its Emscripten glue sees Deno's
 * `process` global, takes it for Node and replaces `globalThis.Worker` with worker_threads' one.
 */
const WebWorker = globalThis.Worker;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/** Parses `NAME=DIR` or `DIR` into a mounted file-system repository. */
export function repositoryMount(spec: string): RepositoryMount {
  const eq = spec.indexOf('=');
  const named = eq > 0 && !/[\\/]/.test(spec.slice(0, eq));
  const dir = absolutePath(named ? spec.slice(eq + 1) : spec);
  return { driver: fsDeno({ root: dir }), namespace: named ? spec.slice(0, eq) : baseName(dir), label: dir };
}

/**
 * The Deno composition root: file-system repositories through Deno's API, onnxruntime-node
 * (through Deno's npm support) for cpu/cuda, onnxruntime-web for webgpu/wasm, JavaScript models
 * in Deno Web Workers, and override stores in temporary directories.
 */
export async function createServer(opts: DenoServerOptions): Promise<InferenceServer> {
  const cpuCount = opts.cpuCount ?? navigator.hardwareConcurrency ?? 1;
  const provider = opts.executionProvider ?? 'auto';
  const native = provider === 'webgpu' || provider === 'wasm' ? undefined : await loadNative(cpuCount, opts.cuda, opts.log);
  const nativeMissing = native && 'reason' in native ? native.reason : undefined;
  const web = () => ortWebDeno({ provider, log: opts.log, nativeMissing });
  return new InferenceServer({
    ...opts,
    repositories: opts.modelRepositories.map((r) => (typeof r === 'string' ? repositoryMount(r) : r)),
    cpuCount,
    gpuCount: native && 'cuda' in native && native.cuda.available ? native.cuda.deviceCount : 0,
    backends: [
      ortRouter({ native: native && 'backend' in native ? native.backend : undefined, web, provider }),
      jsDenoBackend({ executionTimeoutMs: opts.executionTimeoutMs }),
      ...(opts.backends ?? []),
    ],
    createOverrideStore: async () => {
      const root = await Deno.makeTempDir({ prefix: 'nereid-override-' });
      return removedAtExit(root, fsDeno({ root, followLinks: false }));
    },
  });
}

type Native = { backend: ExecutionBackend; cuda: CudaStatus } | { reason: string };

/** onnxruntime-node through Deno's npm support; a reason instead when its addon cannot load here. */
async function loadNative(cpuCount: number, cuda: CudaStatus | undefined, log?: Logger): Promise<Native> {
  try {
    const { detectCuda, ortNodeBackend } = await import('../ort/node/backend.ts');
    const status = cuda ?? (await detectCuda(log));
    return { backend: ortNodeBackend({ cpuCount, cuda: status }), cuda: status };
  } catch (e) {
    const reason = `onnxruntime-node cannot be loaded (${message(e)})`;
    log?.warn(`${reason}; ONNX models run on onnxruntime-web`);
    return { reason };
  }
}

interface WebGpuStatus {
  available: boolean;
  reason?: string;
}

/** Asks Deno's `navigator.gpu` for an adapter (once per server, when onnxruntime-web is first used). */
async function detectWebGpu(log?: Logger): Promise<WebGpuStatus> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (!gpu) return { available: false, reason: 'this Deno has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'no WebGPU adapter was found (on Linux, Deno needs a Vulkan driver, e.g. mesa-vulkan-drivers)' };
    log?.info(`WebGPU adapter: ${[adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') || 'unnamed'}`);
    return { available: true };
  } catch (e) {
    return { available: false, reason: `requesting a WebGPU adapter failed: ${message(e)}` };
  }
}

/**
 * onnxruntime-web (its WebGPU build) under Deno, loaded on first use. WASM runs single-threaded:
 * onnxruntime-web's thread pool starts workers from blob: URLs, which Deno's Node-compatible
 * worker_threads refuse.
 */
async function ortWebDeno(opts: { provider: ProviderName; log?: Logger; nativeMissing?: string }): Promise<ExecutionBackend> {
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.numThreads = 1;
  const entry = import.meta.resolve('onnxruntime-web/webgpu');
  if (entry.startsWith('file:')) ort.env.wasm.wasmPaths = new URL('./', entry).href;
  const webgpu = await detectWebGpu(opts.log);
  if (!webgpu.available) opts.log?.info(`WebGPU is not available: ${webgpu.reason}; WASM is used instead`);
  // Paths become bytes: onnxruntime-web would fetch() a plain path as a URL.
  const module: OrtWebModule = {
    Tensor: ort.Tensor,
    InferenceSession: {
      create: async (model, options) => ort.InferenceSession.create(typeof model === 'string' ? await Deno.readFile(model) : model, options),
    },
  };
  const backend = ortWebBackend({ ort: module, provider: opts.provider === 'webgpu' ? 'webgpu' : 'wasm', webgpu, threads: 1 });
  return opts.nativeMissing ? withFallbackNote(backend, opts.provider, opts.nativeMissing) : backend;
}

/** Adds why onnxruntime-node was not used to instances of models that did not ask for webgpu/wasm. */
function withFallbackNote(backend: ExecutionBackend, provider: ProviderName, note: string): ExecutionBackend {
  return {
    ...backend,
    async createInstance(source, spec): Promise<BackendInstance> {
      const inst = await backend.createInstance(source, spec);
      const wanted = requestedProvider(source) ?? provider;
      if (wanted === 'webgpu' || wanted === 'wasm') return inst;
      return {
        device: inst.device,
        fallback: [note, inst.fallback].filter(Boolean).join('; '),
        execute: (requests) => inst.execute(requests),
        dispose: () => inst.dispose(),
      };
    },
  };
}

/** The JavaScript model worker entry next to this module (src: js-worker.ts; dist: js-worker.js). */
function jsWorkerUrl(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./js-worker.ts', here).href;
  for (const rel of ['./js-worker.js', '../js-worker.js']) {
    const url = new URL(rel, here);
    if (url.protocol !== 'file:') return url.href;
    try {
      if (Deno.statSync(url).isFile) return url.href;
    } catch {
      // not in this directory; a bundler chunk sits one level down
    }
  }
  throw new Error(`cannot find js-worker.js next to ${here}`);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fileUrl(path: string): string {
  const posix = path.replaceAll('\\', '/');
  const abs = posix.startsWith('/') ? posix : `/${posix}`;
  return `file://${abs
    .split('/')
    .map((s, i) => (i === 1 && /^[A-Za-z]:$/.test(s) ? s : encodeURIComponent(s)))
    .join('/')}`;
}

/** The JavaScript backend on Deno: one module Web Worker per model instance (permissions inherited). */
export function jsDenoBackend(opts: { executionTimeoutMs?: number } = {}): ExecutionBackend {
  const script = jsWorkerUrl();
  return jsBackend({
    executionTimeoutMs: opts.executionTimeoutMs,
    spawn(): WorkerHandle {
      const worker = new WebWorker(script, { type: 'module' });
      let terminated = false;
      const exited = new Promise<string>((resolve) => {
        worker.addEventListener('error', (e: ErrorEvent) => {
          e.preventDefault(); // otherwise Deno rethrows the worker's error in the server and exits
          resolve(`uncaught ${e.message}`);
        });
      });
      return {
        endpoint: worker,
        exited: exited.then((reason) => (terminated ? new Promise<string>(() => {}) : reason)),
        async terminate() {
          terminated = true;
          worker.terminate();
        },
      };
    },
    async moduleUrl(source, file) {
      const local = source.localPath?.(file);
      if (local) return fileUrl(local);
      return `data:text/javascript;base64,${base64(await source.readFile(file))}`;
    },
  });
}

export interface ServeOptions extends HttpAppOptions {
  port?: number;
  address?: string;
  /** Largest request head (request line + headers) in bytes; larger requests get 431. */
  maxHeaderSize?: number;
}

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

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

/** Serves a fetch handler with `Deno.serve`; resolves once it listens (port 0 = any free port). */
export function listen(fetch: (req: Request, info?: unknown) => Response | Promise<Response>, port: number, address: string): Promise<RunningServer> {
  return new Promise((resolveListen, reject) => {
    try {
      const http = Deno.serve(
        {
          port,
          hostname: address,
          onListen: (addr) => {
            const host = address.includes(':') ? `[${address}]` : address;
            resolveListen({ url: `http://${host}:${addr.port}`, port: addr.port, close: () => http.shutdown() });
          },
        },
        (req, info) => fetch(req, info),
      );
    } catch (e) {
      reject(e);
    }
  });
}

/** Serves the KServe v2 hono app. */
export function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<RunningServer> {
  const app = createHttpApp(server, { remoteAddress: (c) => (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname, ...opts });
  const max = opts.maxHeaderSize;
  return listen(
    (req, info) =>
      max !== undefined && requestHeadSize(req) > max
        ? Response.json({ error: `request header fields too large (limit ${max} bytes)` }, { status: 431 })
        : app.fetch(req, info),
    opts.port ?? 8000,
    opts.address ?? '0.0.0.0',
  );
}

/** Serves GET /metrics (Prometheus) on its own port, as Triton does. */
export function serveMetrics(server: InferenceServer, opts: { port?: number; address?: string } = {}): Promise<RunningServer> {
  const app = createMetricsApp(server);
  return listen((req) => app.fetch(req), opts.port ?? 8002, opts.address ?? '0.0.0.0');
}
