import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  type InferParameterSchema,
  ModelInferRequestSchema,
  type ModelInferResponse,
  type ModelStreamInferResponse,
} from '../../transports/grpc/gen/grpc_service_pb.ts';
import type { StreamRequest } from './grpc-stream.ts';
import type { Outcome } from './scenarios.ts';

type Parameter = MessageInitShape<typeof InferParameterSchema>;

const bool = (value: boolean): Parameter => ({ parameterChoice: { case: 'boolParam', value } });

/** Little-endian bytes of INT32 values, as raw_input_contents carries them. */
export function int32Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setInt32(i * 4, x, true);
  return b;
}

/** Little-endian bytes of FP32 values. */
export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** The values of output `name` from raw_output_contents, or undefined when it is missing or not `datatype`. */
export function rawOutput(res: ModelInferResponse, name: string, datatype: 'INT32' | 'FP32'): number[] | undefined {
  const i = res.outputs.findIndex((o) => o.name === name);
  const raw = res.rawOutputContents[i];
  if (i < 0 || !raw || res.outputs[i]!.datatype !== datatype || raw.byteLength % 4 !== 0) return undefined;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 4 }, (_, k) => (datatype === 'INT32' ? v.getInt32(k * 4, true) : v.getFloat32(k * 4, true)));
}

/**
 * The protobuf bytes of a ModelInferRequest to `model` with one FP32 input of `bytes` zero bytes in
 * raw_input_contents, made without encoding the tensor: protobuf-es encodes the rest, then come
 * raw_input_contents' tag and length, then the zeros (a field may follow the others on the wire).
 */
export function zeroTensorRequest(model: string, input: string, bytes: number): Uint8Array {
  const head = toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, { modelName: model, inputs: [{ name: input, datatype: 'FP32', shape: [BigInt(bytes / 4)] }] }),
  );
  const raw = ModelInferRequestSchema.field.rawInputContents!.number;
  const prefix = new BinaryWriter().tag(raw, WireType.LengthDelimited).uint32(bytes).finish();
  const out = new Uint8Array(head.length + prefix.length + bytes);
  out.set(head);
  out.set(prefix, head.length);
  return out;
}

/**
 * One request of a sequence to `accumulate`, with the parameters as Triton's gRPC client sends
 * them: `sequence_id` int64_param, `sequence_start`/`sequence_end` bool_param (both always set).
 * Its id (`ID:STEP`) lets the checker tell which request a response answers.
 */
export function sequenceRequest(id: number, step: number, value: number, start: boolean, end: boolean): StreamRequest {
  return {
    id: `${id}:${step}`,
    modelName: 'accumulate',
    parameters: {
      sequence_id: { parameterChoice: { case: 'int64Param', value: BigInt(id) } },
      sequence_start: bool(start),
      sequence_end: bool(end),
    },
    inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1n, 1n] }],
    rawInputContents: [int32Bytes([value])],
  };
}

/**
 * Checks the stream's answer to step `step` of sequence `id`: no error_message, the response
 * of that request (by id), `triton_final_response` true, and OUTPUT equal to the running sum.
 */
export function checkSequenceStep(res: ModelStreamInferResponse, id: number, step: number, expected: number): Omit<Outcome, 'requests'> {
  const where = `sequence ${id} step ${step} (gRPC stream)`;
  if (res.errorMessage) return { unexpected: `${where}: ${res.errorMessage}` };
  const r = res.inferResponse;
  if (!r) return { wrong: `${where}: a response without infer_response` };
  if (r.id !== `${id}:${step}`) return { wrong: `${where}: the response is for request '${r.id}'` };
  const final = r.parameters.triton_final_response?.parameterChoice;
  if (final?.case !== 'boolParam' || !final.value) return { wrong: `${where}: triton_final_response is not true` };
  const got = rawOutput(r, 'OUTPUT', 'INT32');
  if (got?.length !== 1 || got[0] !== expected) return { wrong: `${where}: got ${got}, expected ${expected}` };
  return {};
}
