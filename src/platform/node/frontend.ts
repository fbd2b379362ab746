// Entry of a front-end thread (bundled to dist/node/frontend.js): it serves HTTP on the shared port
// (SO_REUSEPORT) and hands every request to the engine thread, which owns the models.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { createLogger } from '../../core/index.ts';
import { remoteServer } from '../../transports/thread/remote.ts';
import type { FrontendOptions } from '../shape.ts';
import { httpAppFor, listenShared } from './listen.ts';

const { engine, options } = workerData as { engine: MessagePort; options: FrontendOptions };
const log = createLogger(options.log);
const server = remoteServer(engine as unknown as Parameters<typeof remoteServer>[0], log);
engine.start();
const app = httpAppFor(server, { ...options, thread: String(threadId) });
const listener = await listenShared(app.fetch, options);
parentPort!.postMessage({ listening: listener.url });
parentPort!.on('message', async (m: { close?: boolean }) => {
  if (!m.close) return;
  await listener.close();
  engine.close();
  parentPort!.postMessage({ closed: true });
});
