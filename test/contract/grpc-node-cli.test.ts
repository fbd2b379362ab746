import { startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { grpcContract } from './grpc-contract.ts';

grpcContract('Node, `nereid serve` process (node:http2)', async (files) => {
  const srv = await startCli(['--model-repository', tmpTree(files)]);
  return { address: srv.grpc!, stop: async () => void (await srv.stop()) };
});
