import { create } from '@bufbuild/protobuf';
import { type InferResponse, serverError } from '../../core/index.ts';
import type { CallContext, GrpcContext } from './context.ts';
import { type ModelInferRequest, ModelInferResponseSchema, type ModelStreamInferResponse, ModelStreamInferResponseSchema } from './gen/grpc_service_pb.ts';
import { decodeModelInferRequest, type GrpcInferRequest } from './infer-request.ts';
import { encodeModelInferResponse, markFinal } from './infer-response.ts';
import { InOrder, WriteQueue } from './queue.ts';
import { grpcMessage } from './status.ts';

type Write = (msg: ModelStreamInferResponse) => void;

const SHUTTING_DOWN = 'GRPC server is shutting down and has stopped accepting new requests.';

/**
 * ModelStreamInfer: each client message is a whole request for any model. An ordinary model's
 * one response is written in request order; a decoupled model's responses (0..N per request) as
 * each is ready. Every response carries `triton_final_response`. A request's error is written as
 * `error_message` and the stream goes on, unless the client sent the header `triton_grpc_error:
 * true`: then the error ends the stream with its status. When the client half-closes (or the
 * server begins to shut down) the stream ends once its requests are answered; a cancelled call or
 * a deadline cancels them.
 */
export function modelStreamInfer(g: GrpcContext) {
  return (requests: AsyncIterable<ModelInferRequest>, ctx: CallContext): AsyncIterable<ModelStreamInferResponse> => {
    const out = new WriteQueue<ModelStreamInferResponse>();
    const inOrder = new InOrder<ModelStreamInferResponse>((m) => out.push(m));
    const errorMode = ctx.header('triton_grpc_error') === 'true';
    let inflight = 0;
    // Whether more requests may come: not once the client half-closed, nor once shutdown began.
    let reading = true;
    const settle = () => {
      if (--inflight === 0 && !reading) out.close();
    };
    const stopDrain = g.onDrain(() => {
      reading = false;
      if (inflight === 0) out.close();
    });
    ctx.signal.addEventListener('abort', stopDrain, { once: true });
    const onError = (write: Write, e: unknown, msg: ModelInferRequest) => {
      if (errorMode) out.fail(e);
      else write(errorResponse(msg, e));
    };

    /** One request: it takes its place in the order at once, gives it up if its model is decoupled. */
    const serve = async (msg: ModelInferRequest): Promise<void> => {
      const slot = inOrder.reserve();
      let decoded: GrpcInferRequest;
      let write: Write = slot.fill;
      try {
        if (g.draining) throw serverError('UNAVAILABLE', SHUTTING_DOWN);
        decoded = decodeModelInferRequest(msg, ctx.signal);
        if (await g.server.isDecoupled(decoded.request.model, decoded.request.version)) {
          slot.release();
          write = (m) => out.push(m);
        }
      } catch (e) {
        onError(write, e, msg);
        return;
      }
      let done = false;
      let lastVersion: string | undefined;
      let emptyResponse: Promise<void> | undefined;
      try {
        await g.server.inferStream(decoded.request, {
          send: (r, final) => {
            if (done || out.ended) return;
            done = final;
            if (r instanceof Error) onError(write, r, msg);
            else if (r !== undefined) {
              lastVersion = r.model_version;
              write(streamResponse(r, decoded, final));
            } else if (final && decoded.enableEmptyFinal) {
              emptyResponse = emptyFinal(g, msg, lastVersion).then(write);
            }
          },
        });
        await emptyResponse;
      } catch (e) {
        if (!done && !out.ended && !ctx.signal.aborted) onError(write, e, msg);
      }
    };

    void (async () => {
      try {
        for await (const msg of requests) {
          if (out.ended) break;
          inflight++;
          void serve(msg).finally(settle);
        }
      } catch (e) {
        // The request side failed (the call was cancelled, or refused a message over --grpc-max-input-size).
        out.fail(e);
      } finally {
        reading = false;
        stopDrain();
        if (inflight === 0) out.close();
      }
    })();
    return out;
  };
}

function streamResponse(r: InferResponse, decoded: GrpcInferRequest, final: boolean): ModelStreamInferResponse {
  return create(ModelStreamInferResponseSchema, { inferResponse: markFinal(encodeModelInferResponse(r, decoded.sent), final) });
}

/** A failed request: Triton's `error_message`, with the request's id, model and version so the client can tell which. */
function errorResponse(msg: ModelInferRequest, e: unknown): ModelStreamInferResponse {
  const inferResponse = create(ModelInferResponseSchema, { id: msg.id, modelName: msg.modelName, modelVersion: msg.modelVersion });
  return create(ModelStreamInferResponseSchema, { errorMessage: grpcMessage(e), inferResponse: markFinal(inferResponse, true) });
}

/** triton_enable_empty_final_response: a decoupled request that ended without a last response. */
async function emptyFinal(g: GrpcContext, msg: ModelInferRequest, seen: string | undefined): Promise<ModelStreamInferResponse> {
  let modelVersion = msg.modelVersion || seen || '';
  if (modelVersion === '') {
    try {
      modelVersion = await g.server.servingVersion(msg.modelName);
    } catch {
      // unloaded meanwhile: the version stays empty, as Triton leaves it when the request named none
    }
  }
  const inferResponse = create(ModelInferResponseSchema, { id: msg.id, modelName: msg.modelName, modelVersion });
  return create(ModelStreamInferResponseSchema, { inferResponse: markFinal(inferResponse, true) });
}
