import { MSG } from './options.ts';

/** What `useServiceWorker` needs from a started worker server. */
export interface PortTarget {
  connect(port: MessagePort): void;
  onRestart(cb: () => void | Promise<void>): () => void;
}

export interface ServiceWorkerOptions {
  /** The service worker script. @defaultValue dist/browser/service-worker.js, found from this module's URL */
  url?: string | URL;
  /**
   * Pages it controls. A scope above the script's directory needs the header
   * `Service-Worker-Allowed` on the script's response. @defaultValue '/'
   */
  scope?: string;
  /** Request paths routed to the worker server. @defaultValue '/v2' */
  prefix?: string;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

/**
 * Service worker mode: plain `fetch('/v2/...')` from the page (or any library speaking KServe
 * v2 over HTTP) reaches the worker server. The service worker holds a port to this page's
 * worker server; when it was restarted (browsers stop idle service workers) it asks the page for a
 * new one, and `recycle()` hands it a new one too.
 */
export async function useServiceWorker(handle: PortTarget, opts: ServiceWorkerOptions = {}): Promise<ServiceWorkerRegistration> {
  const sw = navigator.serviceWorker;
  if (!sw) throw new Error('nereid: service workers are not available here (they need a secure context)');
  const url = new URL(opts.url ?? new URL('./service-worker.js', import.meta.url), location.href);
  url.searchParams.set('prefix', opts.prefix ?? '/v2');
  const registration = await sw.register(url, { type: 'module', scope: opts.scope ?? '/' });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!sw.controller)
    await within(timeoutMs, 'waiting for the service worker to control this page', (resolve) =>
      sw.addEventListener('controllerchange', () => resolve(undefined), { once: true }),
    );
  const controller = sw.controller;
  if (!controller) throw new Error('nereid: the service worker does not control this page');

  const send = async () => {
    const target = sw.controller;
    if (!target) return;
    const { port1, port2 } = new MessageChannel();
    handle.connect(port1);
    const acked = within(timeoutMs, 'handing the service worker a port', (resolve) => {
      const onMessage = (ev: MessageEvent) => {
        if (ev.data?.type !== MSG.connected) return;
        sw.removeEventListener('message', onMessage);
        resolve(undefined);
      };
      sw.addEventListener('message', onMessage);
    });
    target.postMessage({ type: MSG.connect }, [port2]);
    await acked;
  };
  sw.addEventListener('message', (ev: MessageEvent) => {
    if (ev.data?.type === MSG.needPort) void send();
  });
  sw.addEventListener('controllerchange', () => void send());
  sw.startMessages();
  handle.onRestart(send);
  await send();
  return registration;
}

function within<T>(ms: number, what: string, start: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nereid: timed out ${what}`)), ms);
    start((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}
