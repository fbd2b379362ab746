// Entry point of a JavaScript model's worker thread (bundled to dist/node/js-worker.js).
import { expose, transfer } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { createJsModelWorker } from '../js-backend/worker-api.ts';

if (!parentPort) throw new Error('js-worker must run in a worker thread');
expose(createJsModelWorker(transfer), nodeEndpoint(parentPort));
