import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Endpoint } from 'comlink';
import { describe, expect, it } from 'vitest';
import { createServer, portEndpoint, serveOverPort } from '../../src/platform/electron/index.ts';
import { createWorkerClient } from '../../src/transports/worker/client.ts';
import { exposeFetch } from '../../src/transports/worker/host.ts';
import { MessageChannelMainStandIn, rendererPort } from '../helpers/electron-ports.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { kserveContract } from './kserve-contract.ts';

/**
 * The transport Electron renderers use, driven under plain Node: the server serves one end of a
 * MessageChannelMain stand-in (which, like Electron's, throws on transferring anything but ports)
 * and the "renderer" speaks through the other end as the DOM MessagePort it becomes there.
 */
kserveContract('worker transport over a MessagePortMain (Electron main ↔ renderer)', async (files) => {
  const server = await createServer({ repositories: [tmpTree(files)], cuda: { available: false, deviceCount: 0, reason: 'tests' } });
  const started = server.start();
  const { port1, port2 } = new MessageChannelMainStandIn();
  serveOverPort(server, port1, { started });
  const renderer = rendererPort(port2);
  renderer.start();
  const client = createWorkerClient(renderer, { transfer: false });
  await client.started();
  return {
    fetch: (path, init) => client.fetch(path, init),
    stop: async () => {
      client.close();
      port1.close();
      renderer.close();
      await server.stop(1000);
    },
  };
});

/** A worker_threads port as a DOM-style endpoint that records what each message transferred. */
function recording(port: MessagePort): { endpoint: Endpoint; transfers: unknown[][] } {
  const transfers: unknown[][] = [];
  const endpoint = {
    postMessage: (message: unknown, transfer: Transferable[] = []) => {
      transfers.push([...transfer]);
      port.postMessage(message, transfer as never);
    },
    addEventListener: port.addEventListener.bind(port),
    removeEventListener: port.removeEventListener.bind(port),
    start: () => port.start(),
  } as unknown as Endpoint;
  return { endpoint, transfers };
}

describe('worker transport bodies', () => {
  const body = new Uint8Array(100_000).map((_, i) => i % 251);
  const echo = async (req: Request) => new Response(await req.arrayBuffer(), { headers: { 'content-type': 'application/octet-stream' } });

  it('are transferred, not copied, where the port allows it (Web Workers, DOM MessagePorts)', async () => {
    const { port1, port2 } = new MessageChannel();
    const host = recording(port1);
    const page = recording(port2);
    exposeFetch(echo, host.endpoint);
    const client = createWorkerClient(page.endpoint);
    try {
      const res = await client.fetch('/echo', { method: 'POST', body });
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(body);
      const sizes = (list: unknown[][]) => list.flat().map((t) => (t as ArrayBuffer).byteLength);
      // A transferred ArrayBuffer is detached on the sending side (byteLength 0 afterwards).
      expect(page.transfers.flat()).toHaveLength(1);
      expect(host.transfers.flat()).toHaveLength(1);
      expect(sizes(page.transfers)).toEqual([0]);
      expect(sizes(host.transfers)).toEqual([0]);
    } finally {
      client.close();
      port1.close();
      port2.close();
    }
  });

  it('are cloned over MessagePortMain ports, which throw on transferring anything but ports', async () => {
    // Both ends in the main process (e.g. a client in a utility process): portEndpoint on each side.
    const { port1, port2 } = new MessageChannelMainStandIn();
    const server = portEndpoint(port1);
    exposeFetch(echo, server);
    server.start?.();
    const client = createWorkerClient(portEndpoint(port2));
    try {
      const res = await client.fetch('/echo', { method: 'POST', body });
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(body);
      expect(() => port1.postMessage('x', [new ArrayBuffer(1)])).toThrow('Port at index 0 is not a valid port');
    } finally {
      client.close();
      port1.close();
      port2.close();
    }
  });
});
