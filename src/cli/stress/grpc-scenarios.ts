import { grpcDeadlineScenario } from './grpc-deadline.ts';
import { LockstepStream } from './grpc-stream.ts';
import { checkSequenceStep, sequenceRequest } from './grpc-tensors.ts';
import { gaussianLength, ints, type Outcome, REQUEST_TIMEOUT_MS, type Scenario, SEQUENCE_BUDGET_MS, type StressContext } from './scenarios.ts';

/** The deadline of one stream: a sequence may take SEQUENCE_BUDGET_MS (it may wait for a slot), two of them twice that. */
const STREAM_TIMEOUT_MS = 2 * SEQUENCE_BUDGET_MS + REQUEST_TIMEOUT_MS;

const START_FLAG_ERROR = (id: number) =>
  `inference request for sequence ${id} to model 'accumulate' must specify the START flag on the first request of the sequence`;

/**
 * Runs `body` on a new ModelStreamInfer stream of the main server. A clean outcome half-closes the
 * stream and waits for the server to end it; a wrong result or an error cancels it.
 */
async function onStream(ctx: StressContext, body: (s: LockstepStream) => Promise<Omit<Outcome, 'requests'>>): Promise<Outcome> {
  const s = new LockstepStream(ctx.grpc(), STREAM_TIMEOUT_MS);
  try {
    const o = await body(s);
    if (o.wrong || o.unexpected) s.cancel();
    else await s.close();
    return { ...o, requests: s.sent };
  } catch (e) {
    s.cancel();
    return { requests: s.sent, unexpected: `gRPC stream: ${(e as Error).message}` };
  }
}

/**
 * One sequence to `accumulate` through the stream, in lockstep: START on the first request, END
 * on the last when `end`, each response checked against the running sum of the values sent.
 */
export async function streamSequence(ctx: StressContext, s: LockstepStream, id: number, length: number, end: boolean): Promise<Omit<Outcome, 'requests'>> {
  const started = Date.now();
  const values = ints(ctx, length, 1000);
  let sum = 0;
  for (const [i, value] of values.entries()) {
    const res = await s.send(sequenceRequest(id, i, value, i === 0, end && i === length - 1));
    sum += value;
    const check = checkSequenceStep(res, id, i, sum);
    if (check.wrong || check.unexpected) return check;
  }
  const took = Date.now() - started;
  return took > SEQUENCE_BUDGET_MS ? { unexpected: `sequence ${id} (gRPC stream) took ${took} ms (> ${SEQUENCE_BUDGET_MS} ms)` } : {};
}

/** The gRPC scenarios: Triton's stress test drives its sequences through ModelStreamInfer and times out 1 GB requests with gRPC deadlines. */
export const GRPC_SCENARIOS: Scenario[] = [
  {
    name: 'grpc_sequence_valid',
    weight: 12,
    description: 'gRPC: a complete sequence (START … END) through one ModelStreamInfer stream, running sums checked',
    run: (ctx) => onStream(ctx, (s) => streamSequence(ctx, s, ctx.nextId(), gaussianLength(ctx), true)),
  },
  {
    name: 'grpc_sequence_valid_valid',
    weight: 4,
    description: 'gRPC: two back-to-back sequences on one correlation id over one stream',
    run: (ctx) =>
      onStream(ctx, async (s) => {
        const id = ctx.nextId();
        const first = await streamSequence(ctx, s, id, gaussianLength(ctx), true);
        return first.wrong || first.unexpected ? first : streamSequence(ctx, s, id, gaussianLength(ctx), true);
      }),
  },
  {
    name: 'grpc_sequence_no_end',
    weight: 4,
    description: 'gRPC: a sequence without END over a stream: its slot must be reclaimed after the idle timeout',
    run: (ctx) => onStream(ctx, (s) => streamSequence(ctx, s, ctx.nextId(), gaussianLength(ctx), false)),
  },
  {
    name: 'grpc_sequence_no_start',
    weight: 3,
    description: "gRPC: a request without START gets the START-flag error as the stream's error_message; the stream stays usable",
    run: (ctx) =>
      onStream(ctx, async (s) => {
        const id = ctx.nextId();
        const res = await s.send(sequenceRequest(id, 0, 1, false, false));
        if (res.errorMessage !== START_FLAG_ERROR(id))
          return { unexpected: `no-START request on a stream: ${res.errorMessage ? `error_message '${res.errorMessage}'` : 'succeeded'}` };
        const [value] = ints(ctx, 1, 1000);
        const after = await s.send(sequenceRequest(id, 1, value!, true, true));
        return checkSequenceStep(after, id, 1, value!);
      }),
  },
  grpcDeadlineScenario,
];
