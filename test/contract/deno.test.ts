import { describe } from 'vitest';
import { skipDeno, startDeno } from '../helpers/deno.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { kserveContract } from './kserve-contract.ts';

// The shared KServe contract against a real Deno server process (Deno.serve + the same hono app,
// fsDeno repository driver, onnxruntime-node through Deno's npm support).
describe.skipIf(skipDeno)('Deno server', () => {
  kserveContract('Deno, `deno run src/cli/deno.ts` process over TCP', async (files) => {
    const srv = await startDeno(['--model-repository', tmpTree(files)]);
    return {
      fetch: (path, init) => fetch(`${srv.url}${path}`, init),
      stop: async () => {
        await srv.stop();
      },
    };
  });

  kserveContract('Deno, `deno run src/cli/deno.ts --http-thread-count 3` process over TCP', async (files) => {
    const srv = await startDeno(['--model-repository', tmpTree(files), '--http-thread-count', '3']);
    return {
      fetch: (path, init) => fetch(`${srv.url}${path}`, init),
      stop: async () => {
        await srv.stop();
      },
    };
  });
});
