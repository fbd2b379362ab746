// A front-end Web Worker under Deno: serves HTTP (Deno.serve's reusePort) and/or gRPC (node:http2
// with reusePort) on the shared ports and hands every request to the engine thread, which owns the
// models.
import { createLogger } from '../../core/index.ts';
import { remoteServer } from '../../transports/thread/remote.ts';
import type { FrontendOptions } from '../shape.ts';
import { httpAppFor, listen } from './listen.ts';

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;

const closers: (() => Promise<void>)[] = [];

scope.onmessage = async (event: MessageEvent) => {
  const m = event.data as { init?: { engine: MessagePort; options: FrontendOptions; thread: string }; close?: boolean };
  if (m.init) {
    const { engine, options, thread } = m.init;
    const server = remoteServer(engine as unknown as Parameters<typeof remoteServer>[0], createLogger(options.log));
    engine.start();
    if (options.http) {
      const app = httpAppFor(server, { ...options.http, thread });
      const http = await listen((req, info) => app.fetch(req, info), { ...options.http, reusePort: true });
      closers.push(() => http.close());
    }
    if (options.grpc) {
      const { listenGrpc } = await import('../../transports/grpc/listen.ts');
      const grpc = await listenGrpc(server, { ...options.grpc, reusePort: true });
      closers.push(() => grpc.close());
    }
    scope.postMessage({ listening: true });
  } else if (m.close) {
    await Promise.all(closers.map((c) => c()));
    scope.postMessage({ closed: true });
  }
};
