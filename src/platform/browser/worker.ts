// The default worker script (dist/worker/worker.js): waits for the page's init message, then runs
// createWorkerServer with the options it carries and serves it over the port it carries.
import type { Endpoint } from 'comlink';
import { exposeFetch } from '../../transports/worker/host.ts';
import { MSG, type WorkerServerOptions } from './options.ts';
import { createWorkerServer, type WorkerServer } from './worker-server.ts';

interface WorkerScope {
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
let server: Promise<WorkerServer> | undefined;

/** A server that could not be composed still answers, so the page learns why instead of waiting. */
function serveFailure(port: MessagePort, e: unknown): void {
  const message = `nereid worker: ${(e as Error).message ?? String(e)}`;
  const failed = Promise.reject(new Error(message));
  failed.catch(() => undefined);
  exposeFetch(
    () => new Response(JSON.stringify({ error: message }), { status: 503, headers: { 'content-type': 'application/json' } }),
    port as Endpoint,
    failed,
  );
}

scope.addEventListener('message', (ev) => {
  const msg = ev.data as { type?: string; options?: WorkerServerOptions } | undefined;
  const port = ev.ports[0];
  if (!port) return;
  if (msg?.type === MSG.init && !server) {
    server = createWorkerServer({ ...msg.options!, onProgress: (progress) => scope.postMessage({ type: MSG.progress, progress }) });
    server.then(
      (s) => scope.postMessage({ type: MSG.ready, capabilities: s.capabilities }),
      () => undefined,
    );
  } else if (msg?.type !== MSG.connect || !server) return;
  server.then(
    (s) => s.serve(port as Endpoint),
    (e) => serveFailure(port, e),
  );
});
