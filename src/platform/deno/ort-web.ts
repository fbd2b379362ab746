import type { DenoApi } from '../../types/deno.d.ts';
import type { OrtRuntime } from '../ort/session-backend.ts';
import { type OrtWebModule, ortWebRuntime } from '../ort/web.ts';

declare const Deno: DenoApi;

/**
 * onnxruntime-web (its WebGPU build) under Deno, loaded on first use. WASM runs single-threaded:
 * onnxruntime-web's thread pool starts workers from blob: URLs, which Deno's Node-compatible
 * worker_threads refuse.
 */
export async function ortWebDeno(): Promise<OrtRuntime> {
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.numThreads = 1;
  const entry = import.meta.resolve('onnxruntime-web/webgpu');
  if (entry.startsWith('file:')) ort.env.wasm.wasmPaths = new URL('./', entry).href;
  // Paths become bytes: onnxruntime-web would fetch() a plain path as a URL.
  const module: OrtWebModule = {
    Tensor: ort.Tensor,
    InferenceSession: {
      create: async (model, options) => ort.InferenceSession.create(typeof model === 'string' ? await Deno.readFile(model) : model, options),
    },
  };
  return ortWebRuntime({ ort: module, threads: 1 });
}
