import type { CallContext, GrpcContext } from './context.ts';
import type { ModelInferRequest, ModelInferResponse } from './gen/grpc_service_pb.ts';
import { decodeModelInferRequest } from './infer-request.ts';
import { encodeModelInferResponse } from './infer-response.ts';

/**
 * ModelInfer: one request, one response. The call's signal (client cancel, deadline) goes with
 * the request, so a queued request leaves its queue and a running one's result is dropped.
 * Decoupled models answer only on ModelStreamInfer (Triton's refusal, UNIMPLEMENTED).
 */
export function modelInfer(g: GrpcContext) {
  return async (msg: ModelInferRequest, ctx: CallContext): Promise<ModelInferResponse> => {
    const { request, sent } = decodeModelInferRequest(msg, ctx.signal);
    return encodeModelInferResponse(await g.server.infer(request, 'ModelInfer RPC'), sent);
  };
}
