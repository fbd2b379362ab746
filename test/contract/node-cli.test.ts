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
