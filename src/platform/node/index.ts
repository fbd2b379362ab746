import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type ExecutionBackend, InferenceServer, type RepositoryDriver, type RepositoryMount, type ServerOptions } from '../../core/index.ts';
import { fsNode } from '../drivers/fs-node.ts';
import { jsNodeBackend } from './js-backend.ts';
import { type ProviderName, ortRouter } from '../ort/router.ts';
import { ortWebBackend } from '../ort/web.ts';
import { type CudaStatus, detectCuda, type ExecutionThread, ortNodeBackend } from '../ort/node/backend.ts';
import { removedAtExit } from './exit-cleanup.ts';

export * from '../../core/index.ts';
export { createHttpApp } from '../../transports/http/app.ts';
export { listen, serve, serveMetrics, type RunningServer, type ServeOptions } from './listen.ts';
export { createMetricsApp } from '../../transports/http/metrics.ts';
export { fsNode } from '../drivers/fs-node.ts';
export { memory } from '../drivers/memory.ts';

export interface NodeServerOptions extends Omit<ServerOptions, 'repositories' | 'backends'> {
  /** Default execution provider (--execution-provider); webgpu/wasm run on onnxruntime-web. */
  executionProvider?: ProviderName;
  /** Repository directories, as `DIR` or `NAME=DIR` (NAME is the namespace). */
  modelRepositories: (string | RepositoryMount)[];
  /** Backends in addition to onnxruntime-node. */
  backends?: ExecutionBackend[];
  /** Skip CUDA detection (CPU only). */
  cuda?: CudaStatus;
  /** Where onnxruntime-node instances run unless their config says (default auto). */
  executionThread?: ExecutionThread;
  /** JavaScript-backend calls taking longer fail and restart the worker (0 = no limit). */
  executionTimeoutMs?: number;
}

/** Parses `NAME=DIR` or `DIR` into a mounted file-system repository. */
export function repositoryMount(spec: string): RepositoryMount {
  const eq = spec.indexOf('=');
  const named = eq > 0 && !spec.slice(0, eq).includes('/');
  const dir = resolve(named ? spec.slice(eq + 1) : spec);
  return { driver: fsNode({ root: dir }), namespace: named ? spec.slice(0, eq) : basename(dir), label: dir };
}

/** The Node composition root: file-system repositories, onnxruntime-node, temp-dir overrides. */
export async function createServer(opts: NodeServerOptions): Promise<InferenceServer> {
  const cpuCount = opts.cpuCount ?? availableParallelism();
  const cuda = opts.cuda ?? (await detectCuda(opts.log));
  const repositories = opts.modelRepositories.map((r) => (typeof r === 'string' ? repositoryMount(r) : r));
  return new InferenceServer({
    ...opts,
    repositories,
    cpuCount,
    gpuCount: cuda.available ? cuda.deviceCount : 0,
    backends: [
      ortRouter({
        native: ortNodeBackend({ cpuCount, cuda, executionThread: opts.executionThread }),
        web: () => ortWebNode(cpuCount),
        provider: opts.executionProvider ?? 'auto',
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
  return ortWebBackend({ ort, provider: 'wasm', webgpu: { available: false, reason: 'Node.js has no WebGPU' }, threads: cpuCount });
}
