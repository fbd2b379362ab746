import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType as DataType,
  ValueInfoProtoSchema,
} from './gen/onnx_pb.ts';
import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from './gen/onnx_pb.ts';

export type OnnxType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/**
 * A fixed size, a symbolic (dynamic) dimension name such as 'batch', or `null` for a dynamic
 * dimension with neither a size nor a name (ONNX leaves both dim_value and dim_param unset).
 */
export type Dim = number | string | null;

const DATA_TYPES = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
  int8: DataType.INT8,
  int16: DataType.INT16,
  int32: DataType.INT32,
  int64: DataType.INT64,
  uint8: DataType.UINT8,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
  string: DataType.STRING,
} as const satisfies Record<OnnxType, DataType>;

export const ONNX_TYPES = Object.keys(DATA_TYPES) as readonly OnnxType[];

/** The TensorProto.DataType number of a type, e.g. for Cast's `to` attribute. */
export function dataTypeOf(type: OnnxType): number {
  return DATA_TYPES[type];
}

/**
 * Node attribute values. Shorthands: an integer number is INT, a string is
 * STRING, a number array is INTS. Floats must be explicit: `{ f: 0.5 }`.
 */
export type AttrValue =
  | number
  | string
  | number[]
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { strings: string[] };

export type TensorData = ArrayLike<number | bigint> | string[];

export interface ModelOptions {
  opset?: number;
  irVersion?: number;
  producer?: string;
}

const utf8 = new TextEncoder();
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class GraphBuilder {
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly nodes: NodeProto[] = [];
  private readonly names = new Set<string>();

  readonly name: string;

  constructor(name = 'nereid_graph') {
    this.name = name;
  }

  input(name: string, type: OnnxType, dims: Dim[]): string {
    this.define(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /**
   * A graph input that is also an initializer: its value is `data` unless a caller feeds it
   * (Triton's "optional input backed by an initializer"; onnxruntime does not list it as an input).
   */
  defaultInput(name: string, type: OnnxType, dims: number[], data: TensorData): string {
    this.initializer(name, type, dims, data);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: OnnxType, dims: Dim[]): void {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`duplicate output '${name}'`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  initializer(name: string, type: OnnxType, dims: number[], data: TensorData): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new Error(`initializer '${name}': ${data.length} values for dims [${dims.join(', ')}]`);
    }
    this.define(name);
    const tensor = create(TensorProtoSchema, {
      name,
      dims: dims.map(BigInt),
      dataType: DATA_TYPES[type],
    });
    if (type === 'string') {
      tensor.stringData = Array.from(data as ArrayLike<unknown>, (s) => utf8.encode(String(s)));
    } else {
      tensor.rawData = encodeRaw(type, data as ArrayLike<number | bigint>);
    }
    this.initializers.push(tensor);
    return name;
  }

  /** Adds a node; returns its first output name for chaining. */
  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const first = outputs[0];
    if (first === undefined) throw new Error(`node ${opType} has no outputs`);
    for (const out of outputs) this.define(out);
    this.nodes.push(
      create(NodeProtoSchema, {
        name: `${opType}_${this.nodes.length}`,
        opType,
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
      }),
    );
    return first;
  }

  toBytes(opts: ModelOptions = {}): Uint8Array {
    this.check();
    const model = create(ModelProtoSchema, {
      irVersion: BigInt(opts.irVersion ?? 8),
      opsetImport: [{ domain: '', version: BigInt(opts.opset ?? 13) }],
      producerName: opts.producer ?? 'nereid',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return toBinary(ModelProtoSchema, model);
  }

  private define(name: string): void {
    if (name === '') throw new Error('empty value name');
    if (this.names.has(name)) throw new Error(`value '${name}' is defined twice`);
    this.names.add(name);
  }

  /** Every node input and graph output must refer to a value defined earlier. */
  private check(): void {
    const known = new Set<string>([...this.inputs.map((v) => v.name), ...this.initializers.map((t) => t.name)]);
    for (const node of this.nodes) {
      for (const name of node.input) {
        if (name !== '' && !known.has(name)) throw new Error(`${node.name}: unknown input '${name}'`);
      }
      for (const name of node.output) known.add(name);
    }
    for (const out of this.outputs) {
      if (!known.has(out.name)) throw new Error(`graph output '${out.name}' is never produced`);
    }
  }
}

function valueInfo(name: string, type: OnnxType, dims: Dim[]): ValueInfoProto {
  const dim = dims.map((d) => ({
    value: d === null ? { case: undefined } : typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
  }));
  return create(ValueInfoProtoSchema, {
    name,
    type: { value: { case: 'tensorType', value: { elemType: DATA_TYPES[type], shape: { dim } } } },
  });
}

function attribute(name: string, value: AttrValue): AttributeProto {
  const attr = (fields: MessageInitShape<typeof AttributeProtoSchema>): AttributeProto => create(AttributeProtoSchema, { ...fields, name });
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute '${name}': use { f: ${value} } for floats`);
    return attr({ type: AttrType.INT, i: BigInt(value) });
  }
  if (typeof value === 'string') return attr({ type: AttrType.STRING, s: utf8.encode(value) });
  if (Array.isArray(value)) return attr({ type: AttrType.INTS, ints: value.map(BigInt) });
  if ('i' in value) return attr({ type: AttrType.INT, i: BigInt(value.i) });
  if ('f' in value) return attr({ type: AttrType.FLOAT, f: value.f });
  if ('s' in value) return attr({ type: AttrType.STRING, s: utf8.encode(value.s) });
  if ('ints' in value) return attr({ type: AttrType.INTS, ints: value.ints.map(BigInt) });
  if ('floats' in value) return attr({ type: AttrType.FLOATS, floats: value.floats });
  return attr({ type: AttrType.STRINGS, strings: value.strings.map((s) => utf8.encode(s)) });
}

/** Little-endian bytes for raw_data; a typed array of the exact type is used without copying. */
function encodeRaw(type: Exclude<OnnxType, 'string'>, data: ArrayLike<number | bigint>): Uint8Array {
  const num = (i: number): number => Number(data[i]);
  let view: ArrayBufferView & { BYTES_PER_ELEMENT: number };
  switch (type) {
    case 'int64':
      view = BigInt64Array.from({ length: data.length }, (_, i) => BigInt(data[i] ?? 0));
      break;
    case 'uint64':
      view = BigUint64Array.from({ length: data.length }, (_, i) => BigInt(data[i] ?? 0));
      break;
    case 'float16':
      view = Uint16Array.from({ length: data.length }, (_, i) => float16Bits(num(i)));
      break;
    case 'bfloat16':
      view = Uint16Array.from({ length: data.length }, (_, i) => bfloat16Bits(num(i)));
      break;
    case 'bool':
      view = Uint8Array.from({ length: data.length }, (_, i) => (num(i) ? 1 : 0));
      break;
    default: {
      const Ctor = TYPED_ARRAYS[type];
      if (data instanceof Ctor) {
        view = data;
      } else {
        const out = new Ctor(data.length);
        for (let i = 0; i < data.length; i++) out[i] = num(i);
        view = out;
      }
    }
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return littleEndian ? bytes : swapBytes(bytes, view.BYTES_PER_ELEMENT);
}

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k]!;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number (taken as float32 first), rounding to nearest even. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** bfloat16 bits of a number (the top half of float32), rounding to nearest even. */
export function bfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
