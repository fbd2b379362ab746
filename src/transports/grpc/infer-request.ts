import { type CancelSignal, type InferRequest, invalidArg, type RequestedOutput } from '../../core/index.ts';
import type { InferParameter, ModelInferRequest } from './gen/grpc_service_pb.ts';
import { grpcRequestParameters, paramValue, plainGrpcParameters } from './parameters.ts';
import { decodeInputs } from './tensors.ts';

/** A decoded ModelInferRequest and what the gRPC side keeps of it for the response. */
export interface GrpcInferRequest {
  request: InferRequest;
  /** The request parameters as sent, so echoed ones keep their wire type. */
  sent: Record<string, InferParameter>;
  /** triton_enable_empty_final_response (streams only). */
  enableEmptyFinal: boolean;
}

/** ModelInferRequest → the core's InferRequest, with the same checks and typed fields as HTTP. */
export function decodeModelInferRequest(msg: ModelInferRequest, signal?: CancelSignal): GrpcInferRequest {
  const model = msg.modelName;
  const { enableEmptyFinal, ...fields } = grpcRequestParameters(msg.parameters);
  const request: InferRequest = { model, inputs: [], ...fields };
  if (msg.modelVersion !== '') request.version = checkVersion(msg.modelVersion);
  if (msg.id !== '') request.id = msg.id;
  request.inputs = decodeInputs(msg.inputs, msg.rawInputContents, model);
  if (msg.outputs.length > 0) request.outputs = msg.outputs.map((o) => requestedOutput(o.name, o.parameters));
  if (signal) request.signal = signal;
  return { request, sent: msg.parameters, enableEmptyFinal };
}

/** Triton's version string check (server GetModelVersionFromString): digits only. */
function checkVersion(v: string): string {
  if (!/^\d+$/.test(v)) throw invalidArg(`failed to get model version from specified version string '${v}' (use empty string for latest version)`);
  return v;
}

function requestedOutput(name: string, params: Record<string, InferParameter>): RequestedOutput {
  const out: RequestedOutput = { name };
  const cls = params.classification;
  if (cls !== undefined) {
    const k = paramValue(cls);
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) {
      throw invalidArg(`invalid value type for 'classification' parameter of output '${name}', expected int64_param or uint64_param.`);
    }
    if (k > 0) out.classification = k;
  }
  const plain = plainGrpcParameters(params);
  if ('shared_memory_region' in plain) {
    throw invalidArg(`Unable to find system shared memory region: '${String(plain.shared_memory_region)}' (this server does not support shared memory)`);
  }
  delete plain.classification;
  if (Object.keys(plain).length > 0) out.parameters = plain;
  return out;
}
