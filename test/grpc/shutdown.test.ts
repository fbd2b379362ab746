import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { skipDeno, startDeno } from '../helpers/deno.ts';
import { collect, grpcClient, Status } from '../helpers/grpc.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { raw, typed } from './server.ts';

/** OUT = IN after IN ms: requests still running when the signal comes. */
const SLOW = {
  'slow/config.pbtxt': `backend: "js"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
instance_group [ { count: 2 kind: KIND_CPU } ]
parameters { key: "execution_thread" value { string_value: "worker" } }
`,
  'slow/1/model.js':
    'export async function execute(rs) { return Promise.all(rs.map(async (r) => { await new Promise((res) => setTimeout(res, r.inputs.IN.data[0])); return { outputs: { OUT: { shape: [1], data: r.inputs.IN.data } } }; })); }',
};
const req = (id: string, ms: number) => ({
  model_name: 'slow',
  id,
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
  raw_input_contents: [raw(Int32Array.of(ms))],
});

const runtimes = [
  { name: 'Node', skip: false, start: (repo: string) => startCli(['--model-repository', repo]) },
  { name: 'Deno', skip: skipDeno, start: (repo: string) => startDeno(['--model-repository', repo]) },
];

describe.each(runtimes)('$name: SIGTERM with gRPC calls in flight', ({ skip, start }) => {
  it.skipIf(skip)('in-flight calls finish, open streams end once answered, new calls are refused, exit 0', { timeout: 120_000 }, async () => {
    const srv = await start(tmpTree(SLOW));
    const client = grpcClient(srv.grpc!);
    try {
      await client.call('ModelInfer', req('warm', 1));
      const unary = client.call('ModelInfer', req('u', 1500));
      const stream = client.stream();
      const streamed = collect(stream);
      stream.write(req('s', 1500));
      await new Promise((r) => setTimeout(r, 300));
      const exited = srv.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const refused = await grpcClient(srv.grpc!).fail('ServerLive', {});
      expect(refused.code).toBe(Status.UNAVAILABLE);
      const res = await unary;
      expect([res.id, typed(Int32Array, res.raw_output_contents[0])[0]]).toEqual(['u', 1500]);
      // The stream is not half-closed by the client: the server ends it once its request is answered.
      const { messages, error } = await streamed;
      expect(error).toBeUndefined();
      expect(messages.map((m) => [m.infer_response.id, m.error_message])).toEqual([['s', '']]);
      expect(await exited).toBe(0);
      expect(srv.output()).toMatch(/server stopped/);
    } finally {
      client.close();
      await srv.stop('SIGKILL');
    }
  });
});
