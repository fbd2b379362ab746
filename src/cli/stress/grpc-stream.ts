import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ModelInferRequestSchema, ModelStreamInferResponse } from '../../transports/grpc/gen/grpc_service_pb.ts';
import type { BidiStream, InferenceClient } from '../grpc-client.ts';

export type StreamRequest = MessageInitShape<typeof ModelInferRequestSchema>;

/**
 * One ModelStreamInfer stream driven in lockstep: `send` writes a request and resolves with the
 * next response on the stream (a model that is not decoupled answers every request once, in
 * order), so a scenario can check each step before it sends the next. `close` half-closes and
 * waits for the server to end the stream; `cancel` cancels the call (the server cancels what is
 * in flight). A stream that fails rejects the pending `send` and every later one.
 */
export class LockstepStream {
  private readonly call: BidiStream<StreamRequest, ModelStreamInferResponse>;
  private readonly responses: AsyncIterator<ModelStreamInferResponse>;
  private ended = false;
  /** Requests sent so far. */
  sent = 0;

  /** Opens the stream; `timeoutMs` is the deadline of the whole stream. */
  constructor(client: InferenceClient, timeoutMs: number) {
    this.call = client.modelStreamInfer({ timeoutMs });
    this.responses = this.call[Symbol.asyncIterator]();
  }

  /** Sends one request and resolves with the stream's next response. */
  async send(req: StreamRequest): Promise<ModelStreamInferResponse> {
    if (this.ended) throw new Error('the stream is closed');
    this.sent++;
    // A request that cannot be sent fails the call, and the call's status reaches the read below.
    this.call.write(req).catch(() => {});
    const r = await this.responses.next();
    if (r.done) throw new Error('the server ended the stream without answering the request');
    return r.value;
  }

  /** Half-closes the stream and waits for the server to end it; a response nobody asked for is an error. */
  async close(): Promise<void> {
    this.ended = true;
    this.call.end();
    const r = await this.responses.next();
    if (!r.done) throw new Error('the stream sent a response nobody asked for');
  }

  /** Cancels the call; the server cancels the requests still in flight. */
  cancel(): void {
    this.ended = true;
    this.call.cancel();
  }
}
