// Entry point of a JavaScript model's nested Web Worker (bundled to dist/worker/js-worker.js).
import { type Endpoint, expose, transfer } from 'comlink';
import { createJsModelWorker } from '../js-backend/worker-api.ts';

expose(createJsModelWorker(transfer), globalThis as unknown as Endpoint);
