import type { InferResponse } from '../../core/index.ts';
import { create } from '@bufbuild/protobuf';
import { type InferParameter, type ModelInferResponse, ModelInferResponse_InferOutputTensorSchema, ModelInferResponseSchema } from './gen/grpc_service_pb.ts';
import { inferParameter, toInferParameters } from './parameters.ts';
import { rawOutput } from './tensors.ts';

/**
 * The core's InferResponse as a ModelInferResponse: every output's bytes in `raw_output_contents`
 * (one entry per output, in order), as Triton writes them; parameters typed as the client sent them.
 */
export function encodeModelInferResponse(res: InferResponse, sent?: Record<string, InferParameter>): ModelInferResponse {
  return create(ModelInferResponseSchema, {
    modelName: res.model_name,
    modelVersion: res.model_version,
    id: res.id ?? '',
    parameters: toInferParameters(res.parameters, sent),
    outputs: res.outputs.map((o) =>
      create(ModelInferResponse_InferOutputTensorSchema, {
        name: o.name,
        datatype: o.datatype,
        shape: o.shape.map(BigInt),
        parameters: toInferParameters(o.parameters),
      }),
    ),
    rawOutputContents: res.outputs.map(rawOutput),
  });
}

/** Marks a response written on a stream: `triton_final_response` says whether it completes its request. */
export function markFinal(res: ModelInferResponse, final: boolean): ModelInferResponse {
  res.parameters.triton_final_response = inferParameter(final);
  return res;
}
