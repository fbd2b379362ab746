import type { ModelSource } from '../backend/backend.ts';
import { clientShape, protocolType, sequenceBatching } from '../config/accessors.ts';
import { type ModelConfig, ModelSequenceBatching_Control_Kind, DataType as PbDataType } from '../config/gen/model_config_pb.ts';
import { invalidArg } from '../errors.ts';
import { warmupInputs } from '../lifecycle/warmup.ts';
import { allocate, elementCount } from '../tensor/datatype.ts';
import type { DataType, InferRequest, InferResponse, NamedTensor, TypedArray } from '../types.ts';

/** One request that every model version should answer: its first warm-up sample, or ones shaped from the config. */
export interface SyntheticRequest {
  inputs: NamedTensor[];
  /** The batch size of the request (1 unless a warm-up sample says otherwise); undefined for non-batching models. */
  batch?: number;
  /** Where the inputs came from, for reports. */
  from: string;
}

const encoder = new TextEncoder();
/** Bit patterns of 1.0 in IEEE half precision and bfloat16. */
const ONE_FP16 = 0x3c00;
const ONE_BF16 = 0x3f80;

/** A tensor of ones (true, 1, 1.0) of `datatype` and `shape`; BYTES elements are the string "1" (models that parse numbers take it too). */
export function onesTensor(name: string, datatype: DataType, shape: number[]): NamedTensor {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return { name, datatype, shape, data: Array.from({ length: count }, () => encoder.encode('1')) };
  const data = allocate(datatype, count) as TypedArray;
  const one = datatype === 'FP16' ? ONE_FP16 : datatype === 'BF16' ? ONE_BF16 : 1;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(1n);
  else (data as Float32Array).fill(one);
  return { name, datatype, shape, data };
}

/**
 * The request `nereid validate --infer` sends a version: its first `model_warmup` sample when it
 * has one, else every non-optional input filled with ones, variable dimensions set to 1, batch 1.
 */
export async function syntheticRequest(config: ModelConfig, source: ModelSource): Promise<SyntheticRequest> {
  const batching = config.maxBatchSize > 0;
  const warmup = config.modelWarmup[0];
  if (warmup) {
    const tensors = await warmupInputs(source, config, warmup);
    const inputs = [...tensors].map(([name, t]) => ({ name, ...t }));
    return { inputs, batch: batching ? Math.max(1, warmup.batchSize) : undefined, from: `warm-up sample '${warmup.name}'` };
  }
  const inputs: NamedTensor[] = [];
  for (const io of config.input) {
    if (io.optional) continue;
    const datatype = protocolType(io.dataType);
    if (!datatype) throw invalidArg(`input '${io.name}' of model '${config.name}' has no data_type`);
    inputs.push(
      onesTensor(
        io.name,
        datatype,
        clientShape(config, io).map((d) => (d < 0 ? 1 : d)),
      ),
    );
  }
  return { inputs, batch: batching ? 1 : undefined, from: 'ones shaped from the config' };
}

/** Sequence flags for a one-request sequence (a string correlation id where the model's CORRID control is a string). */
export function oneShotSequence(config: ModelConfig): InferRequest['sequence'] {
  const sb = sequenceBatching(config);
  if (!sb) return undefined;
  const stringId = sb.controlInput.some((c) =>
    c.control.some((k) => k.kind === ModelSequenceBatching_Control_Kind.CONTROL_SEQUENCE_CORRID && k.dataType === PbDataType.TYPE_STRING),
  );
  return { id: stringId ? 'nereid-validate' : 1, start: true, end: true };
}

const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * What is wrong with a response against the config: a configured output missing, an output the
 * config does not have, a datatype or a shape that differs (the batch dimension must equal the
 * request's batch; -1 in the config matches any size).
 */
export function checkResponse(config: ModelConfig, response: InferResponse, batch: number | undefined): string[] {
  const problems: string[] = [];
  const got = new Map(response.outputs.map((o) => [o.name, o]));
  for (const out of config.output) {
    const t = got.get(out.name);
    if (!t) {
      problems.push(`output '${out.name}' is missing from the response`);
      continue;
    }
    got.delete(out.name);
    const want = protocolType(out.dataType);
    if (t.datatype !== want) problems.push(`output '${out.name}' has datatype ${t.datatype}, the config says ${want}`);
    const expected = clientShape(config, out).map((d, i) => (i === 0 && batch !== undefined ? batch : d));
    const fits = t.shape.length === expected.length && t.shape.every((d, i) => expected[i] === -1 || expected[i] === d);
    if (!fits) problems.push(`output '${out.name}' has shape ${shapeText(t.shape)}, the config says ${shapeText(expected)}`);
  }
  for (const name of got.keys()) problems.push(`output '${name}' is not in the config`);
  return problems;
}
