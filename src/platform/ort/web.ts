import type { InferenceSession } from 'onnxruntime-common';
import { type ExecutionBackend, type InstanceSpec, type ModelSource, parameter } from '../../core/index.ts';
import type { OrtTensorCtor } from './convert.ts';
import { createOrtBackend, type ProviderChoice } from './session-backend.ts';

export type WebProvider = 'webgpu' | 'wasm';

/** The parts of an onnxruntime-web module this adapter uses (the module is injected by the platform). */
export interface OrtWebModule {
  Tensor: unknown;
  InferenceSession: { create(model: Uint8Array | string, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
}

export interface OrtWebOptions {
  ort: OrtWebModule;
  /** Provider used when a model does not ask for one (`--execution-provider`). */
  provider: WebProvider;
  /** Whether a WebGPU adapter was found; when not, WebGPU requests fall back to WASM with this reason. */
  webgpu: { available: boolean; reason?: string };
  /** Intra-op threads for WASM sessions. */
  threads?: number;
}

/**
 * onnxruntime-web as Nereid's `onnxruntime` backend (browsers, workers, Deno): WebGPU when asked
 * and available, WASM otherwise. A model may choose with the config parameter
 * `execution_provider` (`webgpu` or `wasm`) or a `gpu_execution_accelerator { name: "webgpu" }`.
 * Session creation is serialised: onnxruntime-web cannot initialise twice concurrently.
 */
export function ortWebBackend(opts: OrtWebOptions): ExecutionBackend {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const wasm: ProviderChoice = { providers: ['wasm'], device: 'wasm' };
  return createOrtBackend({
    Tensor: opts.ort.Tensor as OrtTensorCtor,
    createSession: (model, options) => serial(() => opts.ort.InferenceSession.create(model, options)),
    providers(spec: InstanceSpec, source: ModelSource) {
      const wanted = requestedProvider(source) ?? (spec.kind === 'GPU' ? 'webgpu' : opts.provider);
      if (wanted !== 'webgpu') return [wasm];
      if (!opts.webgpu.available) return [{ ...wasm, note: `WebGPU requested but ${opts.webgpu.reason ?? 'not available'}` }];
      return [{ providers: ['webgpu'], device: 'webgpu' }, wasm];
    },
    threads: () => opts.threads ?? 1,
  });
}

/** A model's own provider choice: parameter `execution_provider`, or an execution accelerator name. */
export function requestedProvider(source: ModelSource): WebProvider | undefined {
  const p = parameter(source.config, 'execution_provider')?.toLowerCase();
  if (p === 'webgpu' || p === 'wasm') return p;
  const acc = source.config.optimization?.executionAccelerators;
  const names = [...(acc?.gpuExecutionAccelerator ?? []), ...(acc?.cpuExecutionAccelerator ?? [])].map((a) => a.name.toLowerCase());
  if (names.includes('webgpu')) return 'webgpu';
  if (names.includes('wasm')) return 'wasm';
  return undefined;
}
