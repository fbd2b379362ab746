import type { InferenceSession } from 'onnxruntime-common';
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import type { PlatformProviders, ProviderName, ProviderStatus } from '../../core/index.ts';
import type { OrtRuntime } from '../ort/session-backend.ts';
import { type OrtWebModule, ortWebRuntime } from '../ort/web.ts';
import type { BrowserCapabilities } from './capabilities.ts';

export interface BrowserOrtOptions {
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
export function browserOrtRuntime(caps: BrowserCapabilities, opts: BrowserOrtOptions): OrtRuntime {
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
  return ortWebRuntime({ ort, threads });
}

function usesWebGpu(options?: InferenceSession.SessionOptions): boolean {
  return (options?.executionProviders ?? []).some((p) => (typeof p === 'string' ? p : p.name) === 'webgpu');
}

/**
 * The browser's providers: onnxruntime-web's WebGPU and WASM. `auto` prefers WebGPU on a hardware
 * adapter; on a software one (SwiftShader) WASM is much faster on the same CPU, so WebGPU is used
 * only when a model or --execution-provider asks for it.
 */
export function browserProviders(caps: BrowserCapabilities): PlatformProviders {
  const native: ProviderStatus = { available: false, reason: 'the native onnxruntime package runs only in Node and Deno, not in a browser' };
  const status: Record<ProviderName, ProviderStatus> = {
    cpu: native,
    cuda: native,
    webgpu: caps.webgpu.available ? { available: true } : { available: false, reason: caps.webgpu.reason ?? 'no WebGPU adapter' },
    wasm: { available: true },
  };
  const hardware = caps.webgpu.available && !caps.webgpu.fallbackAdapter;
  return { status: (p) => status[p], auto: { CPU: hardware ? ['webgpu', 'wasm'] : ['wasm'], GPU: ['webgpu', 'wasm'] } };
}
