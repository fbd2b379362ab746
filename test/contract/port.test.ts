import { MessageChannel } from 'node:worker_threads';
import { createServer, serveOverPort } from '../../src/platform/electron/index.ts';
import { portEndpoint } from '../../src/platform/electron/port.ts';
import { createWorkerClient } from '../../src/transports/worker/client.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { kserveContract } from './kserve-contract.ts';

/**
 * The transport Electron renderers use, driven under plain Node: the server side of a
 * worker_threads MessageChannel plays the Electron main process, the other side the renderer.
 */
kserveContract('worker transport over a MessagePort (Electron main ↔ renderer)', async (files) => {
  const server = await createServer({ modelRepositories: [tmpTree(files)], cuda: { available: false, deviceCount: 0, reason: 'tests' } });
  const started = server.start();
  const { port1, port2 } = new MessageChannel();
  serveOverPort(server, port1, { started });
  const client = createWorkerClient(portEndpoint(port2));
  await client.started();
  return {
    fetch: (path, init) => client.fetch(path, init),
    stop: async () => {
      client.close();
      port1.close();
      port2.close();
      await server.stop(1000);
    },
  };
});
