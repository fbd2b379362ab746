// The service worker of service worker mode (dist/browser/service-worker.js): requests whose
// path starts with the prefix (`?prefix=` in the script URL, default /v2) go to the worker server
// of the page that made them, through a port that page handed over (see useServiceWorker).
import type { Endpoint } from 'comlink';
import { createWorkerClient, type WorkerClient } from '../../transports/worker/client.ts';
import { MSG } from './options.ts';

interface SwClient {
  id: string;
  postMessage(message: unknown): void;
}
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  clientId: string;
  resultingClientId: string;
  respondWith(r: Promise<Response>): void;
}
interface SwScope {
  location: Location;
  clients: { get(id: string): Promise<SwClient | undefined>; matchAll(): Promise<SwClient[]>; claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (ev: never) => void): void;
}

const sw = globalThis as unknown as SwScope;
const prefix = new URL(sw.location.href).searchParams.get('prefix') ?? '/v2';
const ports = new Map<string, WorkerClient>();
const waiting = new Map<string, ((c: WorkerClient) => void)[]>();

sw.addEventListener('install', (ev: ExtendableEvent) => ev.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (ev: ExtendableEvent) => ev.waitUntil(sw.clients.claim()));

sw.addEventListener('message', (ev: MessageEvent & { source: SwClient | null }) => {
  const port = ev.ports[0];
  if (ev.data?.type !== MSG.connect || !port || !ev.source) return;
  const id = ev.source.id;
  ports.get(id)?.close();
  const client = createWorkerClient(port as Endpoint);
  ports.set(id, client);
  for (const resolve of waiting.get(id) ?? []) resolve(client);
  waiting.delete(id);
  ev.source.postMessage({ type: MSG.connected });
  // Forget the ports of pages that are gone.
  void sw.clients.matchAll().then((all) => {
    const alive = new Set(all.map((c) => c.id));
    for (const [k, c] of ports) {
      if (alive.has(k)) continue;
      c.close();
      ports.delete(k);
    }
  });
});

sw.addEventListener('fetch', (ev: FetchEvent) => {
  const url = new URL(ev.request.url);
  if (url.origin !== sw.location.origin || !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) return;
  ev.respondWith(forward(ev));
});

async function forward(ev: FetchEvent): Promise<Response> {
  const client = await clientFor(ev.clientId || ev.resultingClientId);
  if (!client)
    return new Response(JSON.stringify({ error: 'no Nereid worker server is connected to this service worker' }), {
      status: 503,
      headers: { 'content-type': 'application/json' },
    });
  return client.fetch(ev.request);
}

/** The page's own port; after a service worker restart, asks the page for one first. */
async function clientFor(id: string): Promise<WorkerClient | undefined> {
  const known = ports.get(id);
  if (known) return known;
  const page = id ? await sw.clients.get(id) : undefined;
  if (page) {
    const got = new Promise<WorkerClient | undefined>((resolve) => {
      waiting.set(id, [...(waiting.get(id) ?? []), resolve]);
      setTimeout(() => resolve(undefined), 5000);
    });
    page.postMessage({ type: MSG.needPort });
    const client = await got;
    if (client) return client;
  }
  return ports.values().next().value;
}
