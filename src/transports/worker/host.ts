import { type Endpoint, expose, transfer } from 'comlink';
import type { WireRequest, WireResponse, WorkerServerApi } from './protocol.ts';

/** Origin used for requests that arrive through a worker or port (they have only a path). */
export const WORKER_ORIGIN = 'http://nereid.worker';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Turns a wire request into a Request for the hono app. */
export function toRequest(w: WireRequest): Request {
  const init: RequestInit = { method: w.method, headers: w.headers };
  if (w.body && w.method !== 'GET' && w.method !== 'HEAD') init.body = w.body;
  return new Request(new URL(w.url, WORKER_ORIGIN), init);
}

/** Turns a Response into a wire response whose body can be transferred. */
export async function toWire(res: Response): Promise<WireResponse> {
  const body = res.body ? await res.arrayBuffer() : undefined;
  return { status: res.status, statusText: res.statusText, headers: [...res.headers.entries()], body };
}

/**
 * Serves `handler` (a hono app's fetch) over a comlink endpoint: a worker's global scope, a
 * MessagePort, or a Node `worker_threads` port wrapped with comlink's node adapter.
 */
export function exposeFetch(handler: FetchHandler, endpoint: Endpoint, started: Promise<void> = Promise.resolve()): void {
  const api: WorkerServerApi = {
    async fetch(w) {
      const out = await toWire(await handler(toRequest(w)));
      return out.body ? transfer(out, [out.body]) : out;
    },
    started: () => started,
  };
  expose(api, endpoint);
}
