// A front-end Web Worker under Deno: serves HTTP on the shared port (Deno.serve's reusePort) and
// hands every request to the engine thread, which owns the models.
import { createLogger } from '../../core/index.ts';
import { remoteServer } from '../../transports/thread/remote.ts';
import type { FrontendOptions } from '../shape.ts';
import { httpAppFor, listen } from './listen.ts';

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event: MessageEvent) => {
  const m = event.data as { init?: { engine: MessagePort; options: FrontendOptions; thread: string }; close?: boolean };
  if (m.init) {
    const { engine, options, thread } = m.init;
    const server = remoteServer(engine as unknown as Parameters<typeof remoteServer>[0], createLogger(options.log));
    engine.start();
    const http = options.http!;
    const app = httpAppFor(server, { ...http, thread });
    listener = await listen((req, info) => app.fetch(req, info), { ...http, reusePort: true });
    scope.postMessage({ listening: listener.url });
  } else if (m.close) {
    await listener?.close();
    scope.postMessage({ closed: true });
  }
};
let listener: Awaited<ReturnType<typeof listen>> | undefined;
