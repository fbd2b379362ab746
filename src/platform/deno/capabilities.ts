import type { Logger, PlatformProviders, ProviderName, ProviderPreference, ProviderStatus } from '../../core/index.ts';
import type { CudaStatus, OrtNodeOptions } from '../ort/node/backend.ts';
import type { OrtRuntime } from '../ort/session-backend.ts';

/** What this Deno process offers: cores, onnxruntime-node (through npm support) with CUDA, WebGPU (probed on first need). */
export interface DenoCapabilities {
  cpuCount: number;
  /** onnxruntime-node's runtime factory, or why it cannot load here. */
  native: Readonly<{ runtime: (opts: OrtNodeOptions) => OrtRuntime; cuda: CudaStatus } | { reason: string }>;
  /** Deno's `navigator.gpu` adapter: asked once, when a model first could run on WebGPU. */
  webgpu(): Promise<ProviderStatus>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/** Probes once, at composition. With --execution-provider webgpu or wasm, onnxruntime-node is not even loaded. */
export async function probeCapabilities(opts: {
  cpuCount?: number;
  cuda?: CudaStatus;
  provider: ProviderPreference;
  log?: Logger;
}): Promise<Readonly<DenoCapabilities>> {
  const cpuCount = opts.cpuCount ?? navigator.hardwareConcurrency ?? 1;
  const native =
    opts.provider === 'webgpu' || opts.provider === 'wasm'
      ? { reason: `onnxruntime-node is not loaded (--execution-provider ${opts.provider})` }
      : await loadNative(opts.cuda, opts.log);
  let webgpu: Promise<ProviderStatus> | undefined;
  return Object.freeze({ cpuCount, native: Object.freeze(native), webgpu: () => (webgpu ??= detectWebGpu(opts.log)) });
}

/** onnxruntime-node through Deno's npm support; a reason instead when its addon cannot load here. */
async function loadNative(cuda: CudaStatus | undefined, log?: Logger): Promise<DenoCapabilities['native']> {
  try {
    const { detectCuda, ortNodeRuntime } = await import('../ort/node/backend.ts');
    return { runtime: ortNodeRuntime, cuda: cuda ?? (await detectCuda(log)) };
  } catch (e) {
    const reason = `onnxruntime-node cannot be loaded (${message(e)})`;
    log?.warn(`${reason}; ONNX models run on onnxruntime-web`);
    return { reason };
  }
}

/** Asks Deno's `navigator.gpu` for an adapter. */
async function detectWebGpu(log?: Logger): Promise<ProviderStatus> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  const status = await (async (): Promise<ProviderStatus> => {
    if (!gpu) return { available: false, reason: 'this Deno has no WebGPU (navigator.gpu is missing)' };
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { available: false, reason: 'no WebGPU adapter was found (on Linux, Deno needs a Vulkan driver, e.g. mesa-vulkan-drivers)' };
      log?.info(`WebGPU adapter: ${[adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') || 'unnamed'}`);
      return { available: true };
    } catch (e) {
      return { available: false, reason: `requesting a WebGPU adapter failed: ${message(e)}` };
    }
  })();
  if (!status.available) log?.info(`WebGPU is not available: ${status.reason}; WASM is used instead`);
  return status;
}

/** Deno's providers: onnxruntime-node's CPU and CUDA when it loads, onnxruntime-web's WebGPU and WASM. */
export function denoProviders(caps: DenoCapabilities): PlatformProviders {
  const native = caps.native;
  const status = (p: ProviderName): ProviderStatus | Promise<ProviderStatus> => {
    switch (p) {
      case 'cpu':
        return 'reason' in native ? { available: false, reason: native.reason } : { available: true };
      case 'cuda':
        if ('reason' in native) return { available: false, reason: native.reason };
        return native.cuda.available ? { available: true } : { available: false, reason: native.cuda.reason ?? 'CUDA is not available' };
      case 'webgpu':
        return caps.webgpu();
      case 'wasm':
        return { available: true };
    }
  };
  return { status, auto: { CPU: ['cpu', 'wasm'], GPU: ['cuda', 'cpu', 'wasm'] } };
}
