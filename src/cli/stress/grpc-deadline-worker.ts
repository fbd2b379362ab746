// Entry of the thread that sends `nereid stress`'s 1 GB gRPC request (bundled to
// dist/node/stress-deadline.js). Encoding a 1 GB ModelInferRequest (protobuf-es, then the gRPC
// envelope) is synchronous and touches about 3 GB of fresh memory: on the driver's own thread it
// would stall every other client for seconds (long enough for their sequences to go idle on the
// server). Here it stalls only this thread, whose memory goes when it exits.
import { Code, ConnectError } from '@connectrpc/connect';
import { parentPort, workerData } from 'node:worker_threads';
import { grpcInferenceClient } from '../grpc-client.ts';
import type { DeadlineJob, DeadlineResult } from './grpc-deadline.ts';

if (!parentPort) throw new Error('stress-deadline must run in a worker thread');
const job = workerData as DeadlineJob;
const { client, close } = grpcInferenceClient(job.address);
const started = performance.now();
let result: DeadlineResult;
try {
  await client.modelInfer(
    {
      modelName: job.model,
      inputs: [{ name: job.input, datatype: 'FP32', shape: [BigInt(job.bytes / 4)] }],
      rawInputContents: [new Uint8Array(job.bytes)],
    },
    { timeoutMs: job.timeoutMs },
  );
  result = { code: 'ok', message: 'the call succeeded', ms: performance.now() - started };
} catch (e) {
  const err = ConnectError.from(e);
  result = { code: Code[err.code], message: err.rawMessage, ms: performance.now() - started };
} finally {
  close();
}
parentPort.postMessage(result);
