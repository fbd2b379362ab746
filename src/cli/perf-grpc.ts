import { create } from '@bufbuild/protobuf';
import {
  type ModelDescription,
  type ModelInfo,
  type PerfClient,
  PerfError,
  type Sample,
  type SequenceFlags,
  type ServerCounters,
  validateOutputs,
} from '../tools/perf/index.ts';
import { type ModelInferRequest, ModelInferRequestSchema, type ModelInferResponse } from '../transports/grpc/gen/grpc_service_pb.ts';
import { grpcInferenceClient, type InferenceClient } from './grpc-client.ts';
import { boolParam, decodeOutputs, grpcErrorLine, unreachable, withSequence } from './perf-grpc-messages.ts';
import { StreamLanes } from './perf-grpc-stream.ts';

/**
 * The load generator's gRPC client (`nereid perf -i grpc`) for Triton's GRPCInferenceService at
 * HOST:PORT: metadata and config from ModelMetadata and ModelConfig, counters from
 * ModelStatistics, requests as ModelInfer with every tensor in `raw_input_contents` (what
 * Triton's clients send), each built once. With `streaming`, requests go over ModelStreamInfer
 * instead (perf-grpc-stream.ts). `close()` ends the connection.
 */
export function grpcPerfClient(address: string, opts: { streaming: boolean }): PerfClient & { close(): void } {
  const { client, close } = grpcInferenceClient(address);
  const lanes = opts.streaming ? new StreamLanes(client, address) : undefined;
  const rpc = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw new PerfError(unreachable(address, e) ?? `${what}: ${grpcErrorLine(address, e)}`);
    }
  };
  return {
    streaming: opts.streaming,
    describe: async (model, version) => {
      const meta = await rpc(`ModelMetadata '${model}'`, () => client.modelMetadata({ name: model, version: version ?? '' }));
      const { config } = await rpc(`ModelConfig '${model}'`, () => client.modelConfig({ name: model, version: version ?? '' }));
      const tensors = (list: typeof meta.inputs) => list.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
      return {
        versions: meta.versions,
        inputs: tensors(meta.inputs),
        outputs: tensors(meta.outputs),
        maxBatchSize: config?.maxBatchSize ?? 0,
        sequence: config?.schedulingChoice.case === 'sequenceBatching',
        decoupled: config?.modelTransactionPolicy?.decoupled === true,
      } satisfies ModelDescription;
    },
    statistics: (info) => statistics(client, info),
    prepare: (info, spec) => {
      const base = create(ModelInferRequestSchema, {
        modelName: info.name,
        modelVersion: info.version,
        inputs: spec.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(BigInt) })),
        rawInputContents: spec.inputs.map((t) => t.bytes),
        parameters: info.decoupled ? { triton_enable_empty_final_response: boolParam(true) } : {},
      });
      // A decoupled model's responses are checked one by one, without validation_data (which describes one response).
      const check = (res: ModelInferResponse) => {
        const outputs = decodeOutputs(res);
        return typeof outputs === 'string' ? outputs : validateOutputs(info, outputs, info.decoupled ? undefined : spec.expected);
      };
      if (lanes) return (seq, lane) => lanes.send(lane, base, seq, check, info.decoupled);
      return (seq) => unary(client, address, base, seq, check);
    },
    close: () => {
      lanes?.close();
      close();
    },
  };
}

/** One ModelInfer call, timed and validated. */
async function unary(
  client: InferenceClient,
  address: string,
  base: ModelInferRequest,
  seq: SequenceFlags | undefined,
  check: (res: ModelInferResponse) => string | undefined,
): Promise<Sample> {
  const t0 = performance.now();
  const req = withSequence(base, seq);
  const t1 = performance.now();
  let res: ModelInferResponse;
  try {
    res = await client.modelInfer(req);
  } catch (e) {
    return { latency: performance.now() - t0, send: t1 - t0, recv: 0, outcome: 'error', detail: grpcErrorLine(address, e) };
  }
  const t2 = performance.now();
  const detail = check(res);
  const t3 = performance.now();
  return { latency: t3 - t0, send: t1 - t0, recv: t3 - t2, outcome: detail ? 'invalid' : 'ok', detail };
}

async function statistics(client: InferenceClient, info: ModelInfo): Promise<ServerCounters | undefined> {
  try {
    const s = (await client.modelStatistics({ name: info.name, version: info.version })).modelStats[0]?.inferenceStats;
    if (!s) return undefined;
    const ns = (d: { ns: bigint } | undefined) => Number(d?.ns ?? 0n);
    return { count: Number(s.success?.count ?? 0n), queue: ns(s.queue), input: ns(s.computeInput), infer: ns(s.computeInfer), output: ns(s.computeOutput) };
  } catch {
    return undefined;
  }
}
