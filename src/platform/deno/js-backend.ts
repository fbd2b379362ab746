import type { ExecutionBackend } from '../../core/index.ts';
import type { DenoApi } from '../../types/deno.d.ts';
import { jsBackend, type WorkerHandle } from '../js-backend/host.ts';

declare const Deno: DenoApi;

/**
 * Deno's Web Worker, captured before onnxruntime-web loads: its Emscripten glue sees Deno's
 * `process` global, takes it for Node and replaces `globalThis.Worker` with worker_threads' one.
 */
const WebWorker = globalThis.Worker;

/** The JavaScript model worker entry next to this module (src: js-worker.ts; dist: js-worker.js). */
function jsWorkerUrl(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./js-worker.ts', here).href;
  for (const rel of ['./js-worker.js', '../js-worker.js']) {
    const url = new URL(rel, here);
    if (url.protocol !== 'file:') return url.href;
    try {
      if (Deno.statSync(url).isFile) return url.href;
    } catch {
      // not in this directory; a bundler chunk sits one level down
    }
  }
  throw new Error(`cannot find js-worker.js next to ${here}`);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fileUrl(path: string): string {
  const posix = path.replaceAll('\\', '/');
  const abs = posix.startsWith('/') ? posix : `/${posix}`;
  return `file://${abs
    .split('/')
    .map((s, i) => (i === 1 && /^[A-Za-z]:$/.test(s) ? s : encodeURIComponent(s)))
    .join('/')}`;
}

/** The JavaScript backend on Deno: one module Web Worker per model instance (permissions inherited). */
export function jsDenoBackend(opts: { executionTimeoutMs?: number } = {}): ExecutionBackend {
  const script = jsWorkerUrl();
  return jsBackend({
    executionTimeoutMs: opts.executionTimeoutMs,
    spawn(): WorkerHandle {
      const worker = new WebWorker(script, { type: 'module' });
      let terminated = false;
      const exited = new Promise<string>((resolve) => {
        worker.addEventListener('error', (e: ErrorEvent) => {
          e.preventDefault(); // otherwise Deno rethrows the worker's error in the server and exits
          resolve(`uncaught ${e.message}`);
        });
      });
      return {
        endpoint: worker,
        exited: exited.then((reason) => (terminated ? new Promise<string>(() => {}) : reason)),
        async terminate() {
          terminated = true;
          worker.terminate();
        },
      };
    },
    async moduleUrl(source, file) {
      const local = source.localPath?.(file);
      if (local) return fileUrl(local);
      return `data:text/javascript;base64,${base64(await source.readFile(file))}`;
    },
  });
}
