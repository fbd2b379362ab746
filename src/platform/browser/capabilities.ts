/** What this browser context offers, probed once at startup and frozen (kept apart from user options). */
export interface BrowserCapabilities {
  webgpu: {
    available: boolean;
    reason?: string;
    adapter?: string;
    /** A software adapter (SwiftShader): it works, but WASM is much faster on the same CPU. */
    fallbackAdapter?: boolean;
  };
  indexedDb: boolean;
  cpuCount: number;
  /** SharedArrayBuffer, hence multi-threaded WASM, needs cross-origin isolation (COOP/COEP headers). */
  crossOriginIsolated: boolean;
}

interface GpuLike {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
    isFallbackAdapter?: boolean;
  } | null>;
}

/** Probes WebGPU (an adapter, not just `navigator.gpu`), IndexedDB and threads. */
export async function probeCapabilities(timeoutMs = 5000): Promise<Readonly<BrowserCapabilities>> {
  const nav = globalThis.navigator as (Navigator & { gpu?: GpuLike }) | undefined;
  return Object.freeze({
    webgpu: Object.freeze(await probeWebGpu(nav?.gpu, timeoutMs)),
    indexedDb: typeof globalThis.indexedDB !== 'undefined',
    cpuCount: nav?.hardwareConcurrency || 1,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  });
}

async function probeWebGpu(gpu: GpuLike | undefined, timeoutMs: number): Promise<BrowserCapabilities['webgpu']> {
  if (!gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing; it needs a secure context)' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const adapter = await Promise.race([gpu.requestAdapter(), timeout]);
    if (adapter === 'timeout') return { available: false, reason: `no WebGPU adapter answered within ${timeoutMs} ms` };
    if (!adapter) return { available: false, reason: 'navigator.gpu.requestAdapter() found no adapter' };
    const info = adapter.info ?? {};
    const fallbackAdapter = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    return { available: true, adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown', fallbackAdapter };
  } catch (e) {
    return { available: false, reason: `navigator.gpu.requestAdapter() failed: ${(e as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
