import type { Endpoint } from 'comlink';
import type { ExecutionBackend } from '../../core/index.ts';
import { jsBackend, type WorkerHandle } from '../js-backend/host.ts';

export interface JsBrowserOptions {
  /** URL of `js-worker.js` (dist/worker/js-worker.js). */
  workerUrl: string | URL;
  executionTimeoutMs?: number;
}

/**
 * The JavaScript backend in a browser: each model instance runs in a nested module Web Worker
 * (dist/worker/js-worker.js), and imports its model.js as a `data:` URL, so a model must be one
 * self-contained file here (relative imports have nothing to resolve against).
 */
export function jsBrowserBackend(opts: JsBrowserOptions): ExecutionBackend {
  return jsBackend({
    executionTimeoutMs: opts.executionTimeoutMs,
    spawn(): WorkerHandle {
      const worker = new Worker(opts.workerUrl, { type: 'module', name: 'nereid-js-model' });
      let terminated = false;
      const exited = new Promise<string>((resolve) => {
        worker.addEventListener('error', (ev) => {
          ev.preventDefault();
          resolve(`uncaught ${ev.message || `error loading ${String(opts.workerUrl)}`}`);
        });
      });
      return {
        endpoint: worker as unknown as Endpoint,
        exited: exited.then((reason) => (terminated ? new Promise<string>(() => {}) : reason)),
        async terminate() {
          terminated = true;
          worker.terminate();
        },
      };
    },
    async moduleUrl(source, file) {
      return `data:text/javascript;base64,${toBase64(await source.readFile(file))}`;
    },
  });
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
