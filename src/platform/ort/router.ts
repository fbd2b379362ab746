import type { BackendInstance, ExecutionBackend, InstanceSpec, ModelSource } from '../../core/index.ts';
import { requestedProvider } from './web.ts';

export type ProviderName = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm';

export interface OrtRouterOptions {
  /** The native onnxruntime (onnxruntime-node): cpu and cuda. Undefined where it cannot load. */
  native?: ExecutionBackend;
  /** onnxruntime-web (webgpu and wasm), created on first use. */
  web?: () => Promise<ExecutionBackend>;
  /** --execution-provider. */
  provider: ProviderName;
}

/**
 * The `onnxruntime` backend for runtimes that have both onnxruntime packages (Node, Deno): a model
 * runs on the web package when it (or --execution-provider) asks for webgpu or wasm, or when the
 * native package is unavailable; otherwise on the native one.
 */
export function ortRouter(opts: OrtRouterOptions): ExecutionBackend {
  let web: Promise<ExecutionBackend> | undefined;
  const pick = async (source: ModelSource): Promise<ExecutionBackend> => {
    const wanted = requestedProvider(source) ?? opts.provider;
    if ((wanted === 'webgpu' || wanted === 'wasm' || !opts.native) && opts.web) return (web ??= opts.web());
    if (!opts.native) throw new Error('no onnxruntime package is available here');
    return opts.native;
  };
  return {
    name: 'onnxruntime',
    async autoComplete(source: ModelSource) {
      const b = await pick(source);
      await b.autoComplete?.(source);
    },
    async createInstance(source: ModelSource, spec: InstanceSpec): Promise<BackendInstance> {
      const b = await pick(source);
      const gpu = opts.provider === 'cuda' && spec.kind === 'CPU' && b === opts.native ? { ...spec, kind: 'GPU' as const } : spec;
      return b.createInstance(source, gpu);
    },
    async dispose() {
      await opts.native?.dispose?.();
      await (await web)?.dispose?.();
    },
  };
}
