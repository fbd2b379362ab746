import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Endpoint } from 'comlink';

/**
 * Stand-ins for Electron's MessageChannelMain, built on a worker_threads MessageChannel, that
 * reject what Electron rejects (Electron itself cannot be installed on these machines):
 *
 * - `MessagePortMain.postMessage(message, transfer)` accepts only MessagePortMain objects in
 *   `transfer` and throws a TypeError for anything else (shell/browser/api/message_port.cc:
 *   "Port at index N is not a valid port"; a transfer argument that is not an array throws too).
 * - MessagePortMain emits `message` with `{ data, ports }`, and only after `start()`.
 * - A port sent to a renderer becomes a DOM MessagePort there; a message that transfers an
 *   ArrayBuffer from it to a MessagePortMain arrives without its data (electron/electron#34905).
 *   `rendererPort()` throws instead, so a test fails at once rather than waiting forever.
 */
export class MessagePortMainStandIn extends EventEmitter {
  private started = false;
  readonly inner: MessagePort;

  constructor(inner: MessagePort) {
    super();
    this.inner = inner;
  }

  postMessage(message: unknown, ...rest: unknown[]): void {
    if (rest.length > 0) {
      const transfer = rest[0];
      if (!Array.isArray(transfer)) throw new TypeError('transferables must be an array of MessagePorts');
      transfer.forEach((t, i) => {
        if (!(t instanceof MessagePortMainStandIn)) throw new TypeError(`Port at index ${i} is not a valid port`);
      });
      if (transfer.length > 0) throw new Error('MessagePortMainStandIn: transferring ports is not modelled');
    }
    this.inner.postMessage(message);
  }

  /** Messages are queued until start(), as with MessagePortMain. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.inner.on('message', (data: unknown) => this.emit('message', { data, ports: [] }));
  }

  close(): void {
    this.inner.close();
  }
}

export class MessageChannelMainStandIn {
  readonly port1: MessagePortMainStandIn;
  readonly port2: MessagePortMainStandIn;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port1 = new MessagePortMainStandIn(port1);
    this.port2 = new MessagePortMainStandIn(port2);
  }
}

/** What a renderer gets for `port` (sent with webContents.postMessage): a DOM-style MessagePort. */
export interface RendererPort extends Endpoint {
  start(): void;
  close(): void;
}

export function rendererPort(port: MessagePortMainStandIn): RendererPort {
  const listeners = new Map<EventListenerOrEventListenerObject, (data: unknown) => void>();
  return {
    postMessage(message, transfer = []) {
      const i = transfer.findIndex((t) => typeof (t as { postMessage?: unknown }).postMessage !== 'function');
      if (i >= 0)
        throw new Error(
          `transfer entry ${i} is not a port: Electron delivers such a message to the MessagePortMain without its data (electron/electron#34905)`,
        );
      if (transfer.length > 0) throw new Error('rendererPort: transferring ports is not modelled');
      port.inner.postMessage(message);
    },
    addEventListener(_type, listener) {
      const fn = (data: unknown) => {
        const ev = { data, ports: [] } as unknown as MessageEvent;
        if (typeof listener === 'function') listener(ev);
        else listener.handleEvent(ev);
      };
      listeners.set(listener, fn);
      port.inner.on('message', fn);
    },
    removeEventListener(_type, listener) {
      const fn = listeners.get(listener);
      if (fn) port.inner.off('message', fn);
      listeners.delete(listener);
    },
    start: () => port.inner.start(),
    close: () => port.inner.close(),
  };
}
