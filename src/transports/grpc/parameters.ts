import { invalidArg, type Parameters, type ParamValue, type RequestParameterFields, requestParameters } from '../../core/index.ts';
import { create } from '@bufbuild/protobuf';
import { type InferParameter, InferParameterSchema } from './gen/grpc_service_pb.ts';

type Choice = NonNullable<InferParameter['parameterChoice']['case']>;

/** The one `triton_` request parameter a client may send (Triton's TRITON_RESERVED_REQUEST_PARAMS). */
export const EMPTY_FINAL = 'triton_enable_empty_final_response';

/**
 * The value types Triton's gRPC frontend accepts for its reserved request parameters
 * (server src/grpc/infer_handler.cc SetInferenceRequestMetadata), with its messages.
 */
const RESERVED: Record<string, { choices: Choice[]; expected: string }> = {
  sequence_id: { choices: ['int64Param', 'uint64Param', 'stringParam'], expected: 'int64_param or string_param' },
  sequence_start: { choices: ['boolParam'], expected: 'bool_param' },
  sequence_end: { choices: ['boolParam'], expected: 'bool_param' },
  priority: { choices: ['int64Param', 'uint64Param'], expected: 'int64_param or uint64_param' },
  timeout: { choices: ['int64Param', 'uint64Param'], expected: 'int64_param' },
  binary_data_output: { choices: ['boolParam'], expected: 'bool_param' },
  [EMPTY_FINAL]: { choices: ['boolParam'], expected: 'bool_param' },
};

/** An InferParameter's value in the JSON-like form the core codec reads (64-bit integers beyond 2^53 as bigint). */
export function paramValue(p: InferParameter): ParamValue | undefined {
  const c = p.parameterChoice;
  switch (c.case) {
    case 'int64Param':
    case 'uint64Param':
      return Number.isSafeInteger(Number(c.value)) ? Number(c.value) : c.value;
    case 'boolParam':
    case 'stringParam':
    case 'doubleParam':
      return c.value;
    default:
      return undefined;
  }
}

export interface GrpcRequestParameters extends RequestParameterFields {
  /** triton_enable_empty_final_response: streams send an empty final response for a request that ends without one. */
  enableEmptyFinal: boolean;
}

/**
 * Request-level parameters: the gRPC value types checked as Triton does, then parsed once by the
 * core codec (the same validation and typed fields as HTTP). `triton_enable_empty_final_response`
 * is taken out first: the codec refuses every `triton_` key, as HTTP must.
 */
export function grpcRequestParameters(params: Record<string, InferParameter>): GrpcRequestParameters {
  const values: Record<string, ParamValue> = {};
  let enableEmptyFinal = false;
  for (const [key, p] of Object.entries(params)) {
    const c = p.parameterChoice.case;
    const rule = RESERVED[key];
    if (rule && (c === undefined || !rule.choices.includes(c))) {
      throw invalidArg(`invalid value type for '${key}' parameter, expected ${rule.expected}.`);
    }
    if (key === EMPTY_FINAL) {
      enableEmptyFinal = p.parameterChoice.value === true;
      continue;
    }
    if (key.startsWith('triton_')) {
      throw invalidArg(
        `parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys starting with 'triton_' are allowed: ${EMPTY_FINAL}`,
      );
    }
    if (key === 'priority' && c === 'int64Param' && (p.parameterChoice.value as bigint) < 0n) {
      throw invalidArg(`invalid value for 'priority', expected value >= 0.`);
    }
    const v = paramValue(p);
    if (v === undefined) throw invalidArg(`invalid value type for '${key}' parameter, expected int64_param, bool_param, or string_param.`);
    // The codec's custom parameters are JSON-like: an integer past 2^53 is kept as close as a number can.
    values[key] = typeof v === 'bigint' && key !== 'sequence_id' ? Number(v) : v;
  }
  return { ...requestParameters(values), enableEmptyFinal };
}

/** Tensor- and output-level parameters as plain values (unset entries left out). */
export function plainGrpcParameters(params: Record<string, InferParameter>): Parameters {
  const out: Parameters = {};
  for (const [key, p] of Object.entries(params)) {
    const v = paramValue(p);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parameters for a response. A value the client sent keeps the type it was sent with; others
 * are typed by their value (integer → int64, other numbers → double).
 */
export function toInferParameters(params: Parameters | undefined, sent?: Record<string, InferParameter>): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  for (const [key, v] of Object.entries(params ?? {})) {
    const original = sent?.[key];
    out[key] = original !== undefined && paramValue(original) === v ? original : inferParameter(v);
  }
  return out;
}

export function inferParameter(v: ParamValue): InferParameter {
  switch (typeof v) {
    case 'boolean':
      return create(InferParameterSchema, { parameterChoice: { case: 'boolParam', value: v } });
    case 'string':
      return create(InferParameterSchema, { parameterChoice: { case: 'stringParam', value: v } });
    case 'bigint':
      return create(InferParameterSchema, { parameterChoice: v > INT64_MAX ? { case: 'uint64Param', value: v } : { case: 'int64Param', value: v } });
    default:
      return create(
        InferParameterSchema,
        Number.isSafeInteger(v) ? { parameterChoice: { case: 'int64Param', value: BigInt(v) } } : { parameterChoice: { case: 'doubleParam', value: v } },
      );
  }
}
