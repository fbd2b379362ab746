import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { InferenceServer } from '../../core/index.ts';
import { serveEngine } from '../../transports/thread/engine.ts';
import type { Listener } from '../shape.ts';
import type { FrontendOptions } from '../shape.ts';
import { packageRoot } from './package-root.ts';
import { workerExecArgv } from './worker-argv.ts';

/** dist/node/frontend.js of this package. */
const frontendPath = () => join(packageRoot(), 'dist', 'node', 'frontend.js');

/**
 * Starts `count` more front-end threads on the port the main thread listens on (SO_REUSEPORT:
 * the kernel spreads connections over them). Each decodes its requests and hands them to this
 * thread, the engine, over its own MessagePort; resolves once every thread listens.
 */
export async function startFrontends(server: InferenceServer, count: number, options: FrontendOptions): Promise<{ close(): Promise<void> }> {
  const threads = await Promise.all(
    Array.from({ length: count }, async () => {
      const { port1, port2 } = new MessageChannel();
      serveEngine(server, port1 as unknown as Parameters<typeof serveEngine>[1]);
      port1.start();
      const worker = new Worker(frontendPath(), { workerData: { engine: port2, options }, transferList: [port2], execArgv: workerExecArgv() });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (m: { listening?: boolean }) => (m.listening ? resolve() : reject(new Error('front-end thread did not start'))));
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`front-end thread exited with code ${code} while starting`)));
      });
      worker.removeAllListeners('error').removeAllListeners('exit');
      worker.on('error', (e: Error) => server.log.error(`front-end thread failed: ${e.message}`));
      return { worker, port1 };
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    close: () => (closing ??= closeAll()),
  };
  async function closeAll(): Promise<void> {
    await Promise.all(
      threads.map(async ({ worker, port1 }) => {
        const closed = new Promise<void>((r) => worker.once('message', () => r()));
        worker.postMessage({ close: true });
        await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
        port1.close();
        await worker.terminate();
      }),
    );
  }
}

export type { Listener };
