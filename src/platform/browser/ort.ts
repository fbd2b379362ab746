import type { InferenceSession } from 'onnxruntime-common';
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import type { ExecutionBackend } from '../../core/index.ts';
import { ortWebBackend, type OrtWebModule, type WebProvider } from '../ort/web.ts';
import type { BrowserCapabilities } from './capabilities.ts';

export interface BrowserOrtOptions {
  /** `--execution-provider`. */
  provider: WebProvider;
  /** Directory holding onnxruntime-web's `ort-wasm-simd-threaded*.{mjs,wasm}`. */
  wasmPaths: string;
  /** WASM threads (more than one needs cross-origin isolation). */
  threads?: number;
}

type OrtEnvModule = typeof ortWebGpu;

/**
 * onnxruntime-web in the worker. WebGPU sessions run on its WebGPU build
 * (`ort-wasm-simd-threaded.asyncify.*`); WASM sessions run on its plain WASM build
 * (`ort-wasm-simd-threaded.*`), loaded on first use: the WebGPU build leaves out CPU kernels the
 * plain one has (string Cast, so BYTES models fail there). Both load their runtime files from
 * `wasmPaths`, next to the worker script by default; onnxruntime's own proxy worker stays off
 * (this already is a worker).
 */
export function browserOrtBackend(caps: BrowserCapabilities, opts: BrowserOrtOptions): ExecutionBackend {
  const threads = Math.max(1, opts.threads ?? (caps.crossOriginIsolated ? Math.min(4, caps.cpuCount) : 1));
  const configure = (ort: OrtEnvModule) => {
    ort.env.wasm.wasmPaths = opts.wasmPaths.endsWith('/') ? opts.wasmPaths : `${opts.wasmPaths}/`;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  };
  configure(ortWebGpu);
  let wasmBuild: Promise<OrtEnvModule> | undefined;
  const loadWasmBuild = () => (wasmBuild ??= import('onnxruntime-web/wasm').then((m) => configure(m as OrtEnvModule)));
  const ort: OrtWebModule = {
    Tensor: ortWebGpu.Tensor,
    InferenceSession: {
      async create(model: Uint8Array | string, options?: InferenceSession.SessionOptions) {
        const build = usesWebGpu(options) ? ortWebGpu : await loadWasmBuild();
        return build.InferenceSession.create(model as Uint8Array, options);
      },
    },
  };
  return ortWebBackend({ ort, provider: opts.provider, webgpu: caps.webgpu, threads });
}

function usesWebGpu(options?: InferenceSession.SessionOptions): boolean {
  return (options?.executionProviders ?? []).some((p) => (typeof p === 'string' ? p : p.name) === 'webgpu');
}
