import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ModelInferRequestSchema, ModelStreamInferResponse } from '../../transports/grpc/gen/grpc_service_pb.ts';
import type { InferenceClient } from '../grpc-client.ts';

export type StreamRequest = MessageInitShape<typeof ModelInferRequestSchema>;

/**
 * One ModelStreamInfer stream driven in lockstep: `send` writes a request and resolves with the
 * next response on the stream (a model that is not decoupled answers every request once, in
 * order), so a scenario can check each step before it sends the next. `close` half-closes and
 * waits for the server to end the stream; `cancel` cancels the call (the server cancels what is
 * in flight). A stream that fails rejects the pending `send` and every later one.
 */
export class LockstepStream {
  private readonly outbox: StreamRequest[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly abort = new AbortController();
  private readonly responses: AsyncIterator<ModelStreamInferResponse>;
  /** Requests sent so far. */
  sent = 0;

  /** Opens the stream; `timeoutMs` is the deadline of the whole stream. */
  constructor(client: InferenceClient, timeoutMs: number) {
    this.responses = client.modelStreamInfer(this.requests(), { signal: this.abort.signal, timeoutMs })[Symbol.asyncIterator]();
  }

  private async *requests(): AsyncGenerator<StreamRequest> {
    for (;;) {
      const next = this.outbox.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }

  private push(req?: StreamRequest): void {
    if (req) this.outbox.push(req);
    else this.ended = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Sends one request and resolves with the stream's next response. */
  async send(req: StreamRequest): Promise<ModelStreamInferResponse> {
    if (this.ended) throw new Error('the stream is closed');
    this.push(req);
    this.sent++;
    const r = await this.responses.next();
    if (r.done) throw new Error('the server ended the stream without answering the request');
    return r.value;
  }

  /** Half-closes the stream and waits for the server to end it; a response nobody asked for is an error. */
  async close(): Promise<void> {
    this.push();
    const r = await this.responses.next();
    if (!r.done) throw new Error('the stream sent a response nobody asked for');
  }

  /** Cancels the call; the server cancels the requests still in flight. */
  cancel(): void {
    this.ended = true;
    this.abort.abort();
    this.push();
  }
}
