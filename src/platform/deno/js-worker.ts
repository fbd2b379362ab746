// Entry point of a JavaScript model's Deno Web Worker (started by jsDenoBackend in index.ts).
import { type Endpoint, expose, transfer } from 'comlink';
import { createJsModelWorker } from '../js-backend/worker-api.ts';

expose(createJsModelWorker(transfer), self as unknown as Endpoint);
