import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from './package-root.ts';
import { Worker } from 'node:worker_threads';
import type { ExecutionBackend } from '../../core/index.ts';
import { jsBackend, type WorkerHandle } from '../js-backend/host.ts';
import { workerExecArgv } from './worker-argv.ts';

/** dist/node/js-worker.js of this package, found from wherever this module runs (dist or src). */
export function jsWorkerPath(): string {
  return join(packageRoot(), 'dist', 'node', 'js-worker.js');
}

export interface JsNodeOptions {
  executionTimeoutMs?: number;
  /** Heap limit of each model worker in MiB. */
  maxOldGenerationSizeMb?: number;
}

/** The JavaScript backend on Node: one worker_threads Worker per model instance. */
export function jsNodeBackend(opts: JsNodeOptions = {}): ExecutionBackend {
  const script = jsWorkerPath();
  return jsBackend({
    executionTimeoutMs: opts.executionTimeoutMs,
    spawn(): WorkerHandle {
      const worker = new Worker(script, {
        execArgv: workerExecArgv(),
        resourceLimits: opts.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb } : undefined,
      });
      worker.unref();
      let terminated = false;
      const exited = new Promise<string>((resolve) => {
        worker.once('error', (e: Error) => resolve(`uncaught ${e.name}: ${e.message}`));
        worker.once('exit', (code) => resolve(`exit code ${code}`));
      });
      return {
        endpoint: nodeEndpoint(worker),
        exited: exited.then((reason) => (terminated ? new Promise<string>(() => {}) : reason)),
        async terminate() {
          terminated = true;
          await worker.terminate();
        },
      };
    },
    async moduleUrl(source, file) {
      const local = source.localPath?.(file);
      if (local && existsSync(local)) return pathToFileURL(local).href;
      const bytes = await source.readFile(file);
      return `data:text/javascript;base64,${Buffer.from(bytes).toString('base64')}`;
    },
  });
}
