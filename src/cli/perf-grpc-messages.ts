import { create } from '@bufbuild/protobuf';
import type { DecodedOutput, SequenceFlags } from '../tools/perf/index.ts';
import {
  type InferParameter,
  InferParameterSchema,
  type InferTensorContents,
  type ModelInferRequest,
  type ModelInferResponse,
} from '../transports/grpc/gen/grpc_service_pb.ts';
import { callStatus, unreachableReason } from './grpc-client.ts';

/** The messages of `nereid perf -i grpc`: sequence parameters on a prepared request, outputs of a response, errors as one line. */

export const boolParam = (value: boolean): InferParameter => create(InferParameterSchema, { parameterChoice: { case: 'boolParam', value } });

/**
 * A sequence request as Triton's gRPC client sends one: `sequence_id` as int64_param,
 * `sequence_start` and `sequence_end` as bool_param (a shallow copy: the tensors are shared).
 */
export function withSequence(base: ModelInferRequest, seq: SequenceFlags | undefined): ModelInferRequest {
  if (!seq) return base;
  const id = create(InferParameterSchema, { parameterChoice: { case: 'int64Param', value: BigInt(seq.id) } });
  return { ...base, parameters: { ...base.parameters, sequence_id: id, sequence_start: boolParam(seq.start), sequence_end: boolParam(seq.end) } };
}

const dec = new TextDecoder();

/** A ModelInferResponse's outputs with their data: `raw_output_contents` (one entry per output, in order) or typed `contents`. */
export function decodeOutputs(res: ModelInferResponse): DecodedOutput[] | string {
  const raw = res.rawOutputContents;
  if (raw.length > 0 && raw.length !== res.outputs.length) return `response has ${raw.length} raw_output_contents for ${res.outputs.length} outputs`;
  return res.outputs.map((o, i) => ({
    name: o.name,
    datatype: o.datatype,
    shape: o.shape.map(Number),
    bytes: raw[i],
    data: o.contents && raw.length === 0 ? contentsValues(o.contents) : undefined,
  }));
}

/** Typed contents as values: only the field of the output's datatype is filled, so the others add nothing. */
function contentsValues(c: InferTensorContents): unknown[] {
  return [
    ...c.boolContents,
    ...c.intContents,
    ...c.int64Contents.map(Number),
    ...c.uintContents,
    ...c.uint64Contents.map(Number),
    ...c.fp32Contents,
    ...c.fp64Contents,
    ...c.bytesContents.map((b) => dec.decode(b)),
  ];
}

/**
 * One line for a failed call: the server's status and message ("NOT_FOUND: Request for unknown
 * model: ..."), or, when no server answered, "cannot connect to HOST:PORT (ECONNREFUSED): is the
 * server running?".
 */
export function grpcErrorLine(address: string, e: unknown): string {
  const { name, details } = callStatus(e);
  return unreachable(address, e) ?? `${name}: ${details}`;
}

/** The line for a call that reached no server (a socket error such as ECONNREFUSED), else undefined. */
export function unreachable(address: string, e: unknown): string | undefined {
  const why = unreachableReason(e);
  return why === undefined ? undefined : `cannot connect to ${address} (${why}): is the server running?`;
}
