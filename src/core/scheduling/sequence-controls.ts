import { protocolType } from '../config/accessors.ts';
import { type ModelConfig, type ModelSequenceBatching, ModelSequenceBatching_Control_Kind as Kind } from '../config/gen/model_config_pb.ts';
import { invalidArg } from '../errors.ts';
import { allocate, DATA_TYPES } from '../tensor/datatype.ts';
import type { DataType, Tensor, TypedArray } from '../types.ts';

export type CorrelationId = number | bigint | string;

/** How one control input is filled: which flag it carries and how true/false look. */
export interface ControlSpec {
  name: string;
  kind: 'START' | 'READY' | 'END' | 'CORRID';
  datatype: DataType;
  falseValue: number | boolean;
  trueValue: number | boolean;
}

export interface StateSpec {
  input: string;
  output: string;
  datatype: DataType;
  dims: number[];
  /** Initial contents (already read from initial_state data_file), or undefined for zeros. */
  initial?: Uint8Array;
}

export interface ControlFlags {
  start: boolean;
  end: boolean;
  corrId: CorrelationId;
}

const KINDS: Record<number, ControlSpec['kind']> = {
  [Kind.CONTROL_SEQUENCE_START]: 'START',
  [Kind.CONTROL_SEQUENCE_READY]: 'READY',
  [Kind.CONTROL_SEQUENCE_END]: 'END',
  [Kind.CONTROL_SEQUENCE_CORRID]: 'CORRID',
};

/** Reads `control_input` into specs, with Triton's validation messages. */
export function controlSpecs(config: ModelConfig, sb: ModelSequenceBatching): ControlSpec[] {
  const out: ControlSpec[] = [];
  for (const input of sb.controlInput) {
    for (const c of input.control) {
      const kind = KINDS[c.kind]!;
      if (kind === 'CORRID') {
        const dt = protocolType(c.dataType);
        if (!dt || !['UINT64', 'INT64', 'UINT32', 'INT32', 'BYTES'].includes(dt)) {
          throw invalidArg(
            `sequence batching control '${input.name}' for ${config.name} must specify data type TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 or TYPE_STRING for CONTROL_SEQUENCE_CORRID`,
          );
        }
        out.push({ name: input.name, kind, datatype: dt, falseValue: 0, trueValue: 0 });
        continue;
      }
      const pairs: [DataType, (number | boolean)[]][] = [
        ['INT32', c.int32FalseTrue],
        ['FP32', c.fp32FalseTrue],
        ['BOOL', c.boolFalseTrue],
      ];
      const set = pairs.filter(([, v]) => v.length > 0);
      if (set.length !== 1 || set[0]![1].length !== 2) {
        throw invalidArg(
          `sequence batching control '${input.name}' for ${config.name} must specify exactly one of int32_false_true, fp32_false_true or bool_false_true with two values`,
        );
      }
      const [datatype, values] = set[0]!;
      out.push({ name: input.name, kind, datatype, falseValue: values[0]!, trueValue: values[1]! });
    }
  }
  return out;
}

export function stateSpecs(sb: ModelSequenceBatching): Omit<StateSpec, 'initial'>[] {
  return sb.state.map((s) => ({ input: s.inputName, output: s.outputName, datatype: protocolType(s.dataType) ?? 'FP32', dims: s.dims.map(Number) }));
}

const encoder = new TextEncoder();

/** The control tensors for one request: one element, with a batch dimension for batching models. */
export function controlTensors(specs: readonly ControlSpec[], flags: ControlFlags, batching: boolean, model: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const shape = batching ? [1, 1] : [1];
  for (const s of specs) {
    if (s.kind === 'CORRID') {
      out.set(s.name, { datatype: s.datatype, shape, data: corrIdData(s, flags.corrId, model) });
      continue;
    }
    const on = s.kind === 'READY' ? true : s.kind === 'START' ? flags.start : flags.end;
    const v = on ? s.trueValue : s.falseValue;
    const data = allocate(s.datatype, 1) as TypedArray;
    (data as unknown as number[])[0] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    out.set(s.name, { datatype: s.datatype, shape, data });
  }
  return out;
}

function corrIdData(s: ControlSpec, id: CorrelationId, model: string) {
  const isString = typeof id === 'string';
  if (isString !== (s.datatype === 'BYTES')) {
    throw invalidArg(`sequence batching control '${s.name}' data-type is '${isString ? 'BYTES' : 'UINT64'}', but model '${model}' expects '${s.datatype}'`);
  }
  if (isString) return [encoder.encode(id)];
  const data = allocate(s.datatype, 1) as TypedArray;
  if (s.datatype === 'INT64' || s.datatype === 'UINT64') (data as BigInt64Array)[0] = BigInt(id);
  else (data as Int32Array)[0] = Number(BigInt.asUintN(32, BigInt(id)));
  return data;
}

/** A state input tensor: the sequence's last state output, else its initial state (zeros by default). */
export function initialState(spec: StateSpec, batching: boolean): Tensor {
  const count = spec.dims.reduce((a, b) => a * Math.max(1, b), 1);
  const shape = batching ? [1, ...spec.dims.map((d) => Math.max(1, d))] : spec.dims.map((d) => Math.max(1, d));
  if (spec.initial && spec.datatype !== 'BYTES') {
    const ctor = DATA_TYPES[spec.datatype].ctor!;
    const copy = new Uint8Array(spec.initial);
    return { datatype: spec.datatype, shape, data: new ctor(copy.buffer, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT) };
  }
  if (spec.datatype === 'BYTES')
    return { datatype: 'BYTES', shape, data: Array.from({ length: count }, () => (spec.initial ? spec.initial : encoder.encode(''))) };
  return { datatype: spec.datatype, shape, data: allocate(spec.datatype, count) };
}
