import type { InferenceServer } from '../../core/index.ts';
import { serveEngine } from '../../transports/thread/engine.ts';
import type { FrontendOptions } from '../shape.ts';

/** The front-end worker's entry next to this module (src: frontend.ts; dist: frontend.js). */
const frontendUrl = () => new URL(import.meta.url.endsWith('.ts') ? './frontend.ts' : './frontend.js', import.meta.url).href;

/**
 * Starts `count` more front-end threads (module Web Workers) on the port the main thread listens
 * on; each hands its requests to this thread, the engine, over its own MessagePort.
 */
export async function startFrontends(server: InferenceServer, count: number, options: FrontendOptions): Promise<{ close(): Promise<void> }> {
  const threads = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { port1, port2 } = new MessageChannel();
      serveEngine(server, port1 as unknown as Parameters<typeof serveEngine>[1]);
      port1.start();
      const worker = new Worker(frontendUrl(), { type: 'module' });
      await new Promise<void>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent) => (e.data?.listening ? resolve() : reject(new Error('front-end thread did not start')));
        worker.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          reject(new Error(`front-end thread failed: ${e.message}`));
        };
        worker.postMessage({ init: { engine: port2, options, thread: String(i + 1) } }, [port2]);
      });
      return { worker, port1 };
    }),
  );
  return {
    async close() {
      await Promise.all(
        threads.map(async ({ worker, port1 }) => {
          const closed = new Promise<void>((r) => (worker.onmessage = () => r()));
          worker.postMessage({ close: true });
          await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
          port1.close();
          worker.terminate();
        }),
      );
    },
  };
}
