import type { InferenceSession } from 'onnxruntime-common';
import type { OrtTensorCtor } from './convert.ts';
import type { OrtRuntime } from './session-backend.ts';

/** The parts of an onnxruntime-web module this adapter uses (the module is injected by the platform). */
export interface OrtWebModule {
  Tensor: unknown;
  InferenceSession: { create(model: Uint8Array | string, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
}

export interface OrtWebOptions {
  ort: OrtWebModule;
  /** Intra-op threads for WASM sessions. */
  threads?: number;
}

/**
 * onnxruntime-web as a runtime of the `onnxruntime` backend (browsers, workers, Deno, Node for
 * WASM): the `webgpu` and `wasm` providers. Session creation is serialised: onnxruntime-web
 * cannot initialise twice concurrently.
 */
export function ortWebRuntime(opts: OrtWebOptions): OrtRuntime {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    Tensor: opts.ort.Tensor as OrtTensorCtor,
    createSession: (model, options) => serial(() => opts.ort.InferenceSession.create(model, options)),
    threads: () => opts.threads ?? 1,
  };
}
