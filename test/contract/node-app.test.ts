import { createHttpApp, createServer } from '../../src/platform/node/index.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { kserveContract } from './kserve-contract.ts';

kserveContract('Node, hono app in-process', async (files) => {
  const server = await createServer({ repositories: [tmpTree(files)], cuda: { available: false, deviceCount: 0, reason: 'tests' } });
  await server.start();
  const app = createHttpApp(server);
  return { fetch: async (path, init) => app.request(path, init), stop: () => server.stop(1000) };
});
