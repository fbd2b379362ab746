import type { Endpoint } from 'comlink';

/** A Node-style port: worker_threads MessagePort or Electron's MessagePortMain. */
export interface NodeStylePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
  start?(): void;
}

/**
 * A comlink Endpoint over a Node-style port. worker_threads ports emit the message itself;
 * Electron's MessagePortMain emits `{ data, ports }`: both are handled.
 */
export function portEndpoint(port: NodeStylePort): Endpoint {
  const wrapped = new Map<EventListenerOrEventListenerObject, (value: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as unknown[]),
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
