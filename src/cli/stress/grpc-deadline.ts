import { GRPCInferenceService } from '../../transports/grpc/gen/grpc_service_pb.ts';
import { preparedUnaryCall } from './grpc-prepared-call.ts';
import { float32Bytes, rawOutput, zeroTensorRequest } from './grpc-tensors.ts';
import { floats, type Outcome, REQUEST_TIMEOUT_MS, type Scenario, type StressContext, throttled } from './scenarios.ts';

/** Triton's TimeoutScenario: a 1 GiB FP32 tensor (268435456 elements) with a 100 ms client deadline. */
export const DEADLINE_BYTES = 2 ** 30;
export const DEADLINE_MS = 100;
/** At most one 1 GB call per this many ms across all clients (a 60 s run makes two). */
const DEADLINE_EVERY_MS = 30_000;

const MODEL_INFER = `/${GRPCInferenceService.typeName}/${GRPCInferenceService.method.modelInfer.name}`;

/** A checked ModelInfer to `add_sub_plain` (sum and difference of two FP32 [1,16] tensors in raw_input_contents). */
export async function grpcPlainInference(ctx: StressContext): Promise<Outcome> {
  const a = floats(ctx, 16);
  const b = floats(ctx, 16);
  const r = await ctx.grpc().modelInfer(
    {
      modelName: 'add_sub_plain',
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [1n, 16n] },
        { name: 'INPUT1', datatype: 'FP32', shape: [1n, 16n] },
      ],
      rawInputContents: [float32Bytes(a), float32Bytes(b)],
    },
    { timeoutMs: REQUEST_TIMEOUT_MS },
  );
  const sum = rawOutput(r, 'OUTPUT0', 'FP32');
  const diff = rawOutput(r, 'OUTPUT1', 'FP32');
  for (let i = 0; i < a.length; i++) {
    const [s, d] = [Math.fround(a[i]! + b[i]!), Math.fround(a[i]! - b[i]!)];
    if (sum?.[i] !== s || diff?.[i] !== d) return { requests: 1, wrong: `add_sub_plain (gRPC) element ${i}: got ${sum?.[i]}/${diff?.[i]}, expected ${s}/${d}` };
  }
  return { requests: 1 };
}

export interface DeadlineOptions {
  /** At most one huge call per this many ms. @defaultValue 30000 */
  everyMs?: number;
  /** @defaultValue 2^30 */
  bytes?: number;
  /** @defaultValue 100 */
  timeoutMs?: number;
}

/**
 * The 1 GB deadline over gRPC: the client must see DEADLINE_EXCEEDED, then the server must be
 * live and answer a checked ModelInfer. Heavy, so at most once every 30 s; other runs are a
 * checked gRPC ModelInfer. The main server's RSS before, during (peak) and after goes to the report.
 */
export async function deadlineScenario(ctx: StressContext, opts: DeadlineOptions = {}): Promise<Outcome> {
  const { everyMs = DEADLINE_EVERY_MS, bytes = DEADLINE_BYTES, timeoutMs = DEADLINE_MS } = opts;
  if (!throttled(ctx, 'grpc-deadline', everyMs)) return grpcPlainInference(ctx);
  const rssBefore = ctx.mainRss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak ?? 0, ctx.mainRss() ?? 0) || undefined), 25);
  // The request's bytes are ready before the call starts (zeros: no page is touched until sent), so the deadline covers the sending.
  const request = zeroTensorRequest('identity', 'INPUT0', bytes);
  const call = await preparedUnaryCall(ctx.grpcAddress(), MODEL_INFER, request, timeoutMs).finally(() => clearInterval(sampler));
  if (call.code !== 'DEADLINE_EXCEEDED')
    return {
      requests: 1,
      unexpected: `${(bytes / 2 ** 20).toFixed(0)} MiB ModelInfer with a ${timeoutMs} ms deadline ended with ${call.code}: ${call.message}`,
    };
  const live = await ctx.grpc().serverLive({}, { timeoutMs: REQUEST_TIMEOUT_MS });
  if (!live.live) return { requests: 2, unexpected: 'ServerLive is false after the 1 GB deadline' };
  const after = await grpcPlainInference(ctx);
  ctx.deadlineCalls.push({ ms: call.ms, sent: call.sent, rssBefore, rssPeak, rssAfter: ctx.mainRss() });
  return { ...after, requests: 2 + after.requests };
}

export const grpcDeadlineScenario: Scenario = {
  name: 'grpc_huge_deadline',
  weight: 2,
  description: `gRPC: a 1 GB ModelInfer with a ${DEADLINE_MS} ms deadline (at most every ${DEADLINE_EVERY_MS / 1000} s; otherwise a checked ModelInfer) must end in DEADLINE_EXCEEDED, then the server answers`,
  run: (ctx) => deadlineScenario(ctx),
};
