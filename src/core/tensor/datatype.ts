import { countCopied } from '../stats/copies.ts';
import type { DataType, TensorData, TypedArray } from '../types.ts';

type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

interface DataTypeInfo {
  /** Bytes per element; 0 for BYTES (variable). */
  size: number;
  ctor: TypedArrayCtor | undefined;
}

export const DATA_TYPES: Readonly<Record<DataType, DataTypeInfo>> = {
  BOOL: { size: 1, ctor: Uint8Array },
  UINT8: { size: 1, ctor: Uint8Array },
  UINT16: { size: 2, ctor: Uint16Array },
  UINT32: { size: 4, ctor: Uint32Array },
  UINT64: { size: 8, ctor: BigUint64Array },
  INT8: { size: 1, ctor: Int8Array },
  INT16: { size: 2, ctor: Int16Array },
  INT32: { size: 4, ctor: Int32Array },
  INT64: { size: 8, ctor: BigInt64Array },
  FP16: { size: 2, ctor: Uint16Array },
  FP32: { size: 4, ctor: Float32Array },
  FP64: { size: 8, ctor: Float64Array },
  BYTES: { size: 0, ctor: undefined },
  BF16: { size: 2, ctor: Uint16Array },
};

export function isDataType(s: unknown): s is DataType {
  return typeof s === 'string' && Object.hasOwn(DATA_TYPES, s);
}

export function byteSize(dt: DataType): number {
  return DATA_TYPES[dt].size;
}

/** Config enum name (TYPE_FP32, TYPE_STRING) to protocol name (FP32, BYTES). */
export function configTypeToDataType(t: string): DataType | undefined {
  if (t === 'TYPE_STRING') return 'BYTES';
  const name = t.startsWith('TYPE_') ? t.slice(5) : t;
  return name !== 'BYTES' && isDataType(name) ? name : undefined;
}

export function dataTypeToConfigType(dt: DataType): string {
  return dt === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dt}`;
}

/** Allocates zeroed storage for `count` elements of `dt`. */
export function allocate(dt: DataType, count: number): TensorData {
  const ctor = DATA_TYPES[dt].ctor;
  if (!ctor) return Array.from({ length: count }, () => new Uint8Array(0));
  return new ctor(count);
}

/** Views raw little-endian bytes as a typed array of `dt`, copying only when unaligned. */
export function viewBytes(dt: DataType, bytes: Uint8Array): TypedArray {
  const ctor = DATA_TYPES[dt].ctor;
  if (!ctor) throw new Error(`viewBytes: ${dt} has no fixed element size`);
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % size === 0) return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  countCopied(bytes.byteLength);
  return new ctor(copy.buffer, 0, bytes.byteLength / size);
}

/** Element count of a shape; callers validate the shape first. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dataLength(data: TensorData): number {
  return data.length;
}

/** The little-endian bytes of a fixed-size tensor (a view, no copy). */
export function tensorBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
