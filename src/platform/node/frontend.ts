// Entry of a front-end thread (bundled to dist/node/frontend.js): it serves HTTP and/or gRPC on the
// shared ports (SO_REUSEPORT) and hands every request to the engine thread, which owns the models.
import type { MessagePort } from 'node:worker_threads';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger } from '../../core/index.ts';
import { remoteServer } from '../../transports/thread/remote.ts';
import type { FrontendOptions } from '../shape.ts';
import { httpAppFor, listenShared } from './listen.ts';

const { engine, options } = workerData as { engine: MessagePort; options: FrontendOptions };
const server = remoteServer(engine as unknown as Parameters<typeof remoteServer>[0], createLogger(options.log));
engine.start();
const closers: (() => Promise<void>)[] = [];
if (options.http) {
  const app = httpAppFor(server, { ...options.http, thread: String(threadId) });
  const http = await listenShared(app.fetch, options.http);
  closers.push(() => http.close());
}
if (options.grpc) {
  const { listenGrpc } = await import('../../transports/grpc/listen.ts');
  const grpc = await listenGrpc(server, { ...options.grpc, reusePort: true });
  closers.push(() => grpc.close());
}
parentPort!.postMessage({ listening: true });
parentPort!.on('message', async (m: { close?: boolean }) => {
  if (!m.close) return;
  await Promise.all(closers.map((c) => c()));
  engine.close();
  parentPort!.postMessage({ closed: true });
});
