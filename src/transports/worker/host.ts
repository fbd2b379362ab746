import { type Endpoint, expose, transfer } from 'comlink';
import type { TransportOptions, WireRequest, WireResponse, WorkerServerApi } from './protocol.ts';

/** Origin used for requests that arrive through a worker or port (they have only a path). */
export const WORKER_ORIGIN = 'http://nereid.worker';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Turns a wire request into a Request for the hono app. */
export function toRequest(w: WireRequest): Request {
  const init: RequestInit = { method: w.method, headers: w.headers };
  if (w.body && w.method !== 'GET' && w.method !== 'HEAD') init.body = w.body;
  return new Request(new URL(w.url, WORKER_ORIGIN), init);
}

/** Turns a Response into a wire response (its body an ArrayBuffer of its own, so it can be transferred). */
export async function toWire(res: Response): Promise<WireResponse> {
  const body = res.body ? await res.arrayBuffer() : undefined;
  return { status: res.status, statusText: res.statusText, headers: [...res.headers.entries()], body };
}

/**
 * Serves `handler` (a hono app's fetch) over a comlink endpoint: a worker's global scope, a
 * MessagePort, or a Node `worker_threads` port wrapped with comlink's node adapter. Response
 * bodies are transferred unless `opts.transfer` is false (then they are cloned).
 */
export function exposeFetch(handler: FetchHandler, endpoint: Endpoint, started: Promise<void> = Promise.resolve(), opts: TransportOptions = {}): void {
  const mayTransfer = opts.transfer ?? true;
  const api: WorkerServerApi = {
    async fetch(w) {
      const out = await toWire(await handler(toRequest(w)));
      return out.body && mayTransfer ? transfer(out, [out.body]) : out;
    },
    started: () => started,
  };
  expose(api, endpoint);
}
