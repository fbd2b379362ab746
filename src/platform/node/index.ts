import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InferenceServer, type RepositoryDriver, type RepositoryMount } from '../../core/index.ts';
import { fsNode } from '../drivers/fs-node.ts';
import { type CudaStatus, type ExecutionThread, ortNodeRuntime } from '../ort/node/backend.ts';
import { onnxruntimeBackend } from '../ort/session-backend.ts';
import { ortWebRuntime } from '../ort/web.ts';
import type { CreateServerOptions } from '../shape.ts';
import { nodeProviders, probeCapabilities } from './capabilities.ts';
import { removedAtExit } from './exit-cleanup.ts';
import { jsNodeBackend } from './js-backend.ts';

export * from '../../core/index.ts';
export { createHttpApp } from '../../transports/http/app.ts';
export { createMetricsApp } from '../../transports/http/metrics.ts';
export { fsNode } from '../drivers/fs-node.ts';
export { memory } from '../drivers/memory.ts';
export type { CreateServerOptions, GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../shape.ts';
export { type NodeCapabilities, probeCapabilities } from './capabilities.ts';
export { holdPort, listen, serve, serveGrpc, serveMetrics } from './listen.ts';

export interface NodeServerOptions extends CreateServerOptions {
  /** CUDA as already detected (skips detection; tests pass `{ available: false }`). */
  cuda?: CudaStatus;
  /** Where onnxruntime-node instances run unless their config says. @defaultValue 'auto' */
  executionThread?: ExecutionThread;
}

/** Parses `NAME=DIR` or `DIR` into a mounted file-system repository. */
export function repositoryMount(spec: string): RepositoryMount {
  const eq = spec.indexOf('=');
  const named = eq > 0 && !spec.slice(0, eq).includes('/');
  const dir = resolve(named ? spec.slice(eq + 1) : spec);
  return { driver: fsNode({ root: dir }), namespace: named ? spec.slice(0, eq) : basename(dir), label: dir };
}

/** The Node composition root: file-system repositories, onnxruntime-node (+ onnxruntime-web for WASM), temp-dir overrides. */
export async function createServer(opts: NodeServerOptions): Promise<InferenceServer> {
  const caps = await probeCapabilities({ cpuCount: opts.cpuCount, cuda: opts.cuda, log: opts.log });
  const { cpuCount } = caps;
  return new InferenceServer({
    ...opts,
    repositories: opts.repositories.map((r) => (typeof r === 'string' ? repositoryMount(r) : r)),
    runtime: 'node',
    cpuCount,
    gpuCount: caps.cuda.available ? caps.cuda.deviceCount : 0,
    providers: nodeProviders(caps),
    backends: [
      onnxruntimeBackend({
        native: async () => ortNodeRuntime({ cpuCount, executionThread: opts.executionThread }),
        web: () => ortWebNode(cpuCount),
      }),
      jsNodeBackend({ executionTimeoutMs: opts.executionTimeoutMs }),
      ...(opts.backends ?? []),
    ],
    createOverrideStore: opts.createOverrideStore ?? (() => overrideStore()),
  });
}

/**
 * A private directory for a model's `file:` overrides (a new one under `parent` each time); its
 * driver never follows or writes through a link. The server removes it when the model unloads or
 * the server stops; one still there when the process exits is removed then.
 */
export async function overrideStore(parent: string = tmpdir()): Promise<RepositoryDriver> {
  const root = await mkdtemp(join(parent, 'nereid-override-'));
  return removedAtExit(root, fsNode({ root, followLinks: false }));
}

/** onnxruntime-web under Node (WASM only: Node has no WebGPU), loaded on first use. */
async function ortWebNode(cpuCount: number) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = Math.max(1, cpuCount);
  return ortWebRuntime({ ort, threads: cpuCount });
}
