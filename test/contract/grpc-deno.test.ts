import { describe } from 'vitest';
import { skipDeno, startDeno } from '../helpers/deno.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { grpcContract } from './grpc-contract.ts';

// The gRPC contract against a real Deno server process: the same service on node:http2 through
// Deno's Node compatibility.
describe.skipIf(skipDeno)('Deno gRPC server', () => {
  grpcContract('Deno, `deno run src/cli/deno.ts` process (node:http2 in Deno)', async (files) => {
    const srv = await startDeno(['--model-repository', tmpTree(files)]);
    return { address: srv.grpc!, stop: async () => void (await srv.stop()) };
  });
});
