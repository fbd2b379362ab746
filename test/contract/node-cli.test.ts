import { startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { kserveContract } from './kserve-contract.ts';

kserveContract('Node, `nereid serve` process over TCP', async (files) => {
  const srv = await startCli(['--model-repository', tmpTree(files)]);
  return {
    fetch: (path, init) => fetch(`${srv.url}${path}`, init),
    stop: async () => {
      await srv.stop();
    },
  };
});

// The same contract with three threads serving the port: two front-end threads hand their requests
// to the engine thread (needs SO_REUSEPORT: Node 22.12+; older Node serves on one thread and says so).
kserveContract('Node, `nereid serve --http-thread-count 3` process over TCP', async (files) => {
  const srv = await startCli(['--model-repository', tmpTree(files), '--http-thread-count', '3']);
  return {
    fetch: (path, init) => fetch(`${srv.url}${path}`, init),
    stop: async () => {
      await srv.stop();
    },
  };
});
