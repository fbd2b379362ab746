import type { Endpoint } from 'comlink';

/** A Node-style port: Electron's MessagePortMain or a worker_threads MessagePort. */
export interface NodeStylePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
  start?(): void;
}

/** True for a message port (Electron's MessagePortMain, a DOM or worker_threads MessagePort). */
const isPort = (value: unknown): boolean => typeof (value as { postMessage?: unknown } | null)?.postMessage === 'function';

/**
 * A comlink Endpoint over a Node-style port. Electron's MessagePortMain emits `{ data, ports }`
 * and worker_threads ports the message itself: both are handled. MessagePortMain.postMessage
 * throws on anything but ports in its transfer list, so only ports are passed on there; ArrayBuffers
 * travel as structured clones (a copy, which crossing processes makes anyway).
 */
export function portEndpoint(port: NodeStylePort): Endpoint {
  const wrapped = new Map<EventListenerOrEventListenerObject, (value: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, (transfer ?? []).filter(isPort)),
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const fn = (value: unknown) => {
        const isEvent = typeof value === 'object' && value !== null && 'data' in value && 'ports' in value;
        const event = { data: isEvent ? (value as { data: unknown }).data : value } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, fn);
      port.on('message', fn);
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const fn = wrapped.get(listener);
      if (fn) port.off('message', fn);
      wrapped.delete(listener);
    },
    start: () => port.start?.(),
  } as Endpoint;
}
