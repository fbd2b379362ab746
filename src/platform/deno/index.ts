import { InferenceServer, type RepositoryMount } from '../../core/index.ts';
import type { DenoApi } from '../../types/deno.d.ts';
import { absolutePath, baseName, fsDeno } from '../drivers/fs-deno.ts';
import type { CudaStatus } from '../ort/node/backend.ts';
import { onnxruntimeBackend } from '../ort/session-backend.ts';
import type { CreateServerOptions } from '../shape.ts';
import { denoProviders, probeCapabilities } from './capabilities.ts';
import { removedAtExit } from './exit-cleanup.ts';
import { jsDenoBackend } from './js-backend.ts';
import { ortWebDeno } from './ort-web.ts';

declare const Deno: DenoApi;

export * from '../../core/index.ts';
export { createHttpApp } from '../../transports/http/app.ts';
export { createMetricsApp } from '../../transports/http/metrics.ts';
export { fsDeno } from '../drivers/fs-deno.ts';
export { memory } from '../drivers/memory.ts';
export type { CreateServerOptions, GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../shape.ts';
export { type DenoCapabilities, probeCapabilities } from './capabilities.ts';
export { jsDenoBackend } from './js-backend.ts';
export { holdPort, listen, requestHeadSize, serve, serveGrpc, serveMetrics } from './listen.ts';

export interface DenoServerOptions extends CreateServerOptions {
  /** CUDA as already detected (skips detection). */
  cuda?: CudaStatus;
}

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
  const caps = await probeCapabilities({ cpuCount: opts.cpuCount, cuda: opts.cuda, provider: opts.executionProvider ?? 'auto', log: opts.log });
  const { cpuCount, native } = caps;
  return new InferenceServer({
    ...opts,
    repositories: opts.repositories.map((r) => (typeof r === 'string' ? repositoryMount(r) : r)),
    runtime: 'deno',
    cpuCount,
    gpuCount: 'cuda' in native && native.cuda.available ? native.cuda.deviceCount : 0,
    providers: denoProviders(caps),
    backends: [
      onnxruntimeBackend({
        ...('runtime' in native ? { native: async () => native.runtime({ cpuCount }) } : {}),
        web: ortWebDeno,
      }),
      jsDenoBackend({ executionTimeoutMs: opts.executionTimeoutMs }),
      ...(opts.backends ?? []),
    ],
    createOverrideStore: async () => {
      const root = await Deno.makeTempDir({ prefix: 'nereid-override-' });
      return removedAtExit(root, fsDeno({ root, followLinks: false }));
    },
  });
}
