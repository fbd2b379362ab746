import { invalidArg } from '../errors.ts';
import type { DataType, TensorData, TypedArray } from '../types.ts';
import { allocate, DATA_TYPES, elementCount } from './datatype.ts';

const encoder = new TextEncoder();

/**
 * Turns loosely typed tensor data (plain arrays, strings, another typed array) into the storage
 * Nereid uses for `datatype`, checking the element count against `shape`. Used where user code
 * produces tensors (the JavaScript backend, page clients).
 */
export function coerceTensorData(datatype: DataType, shape: readonly number[], data: unknown, what: string): TensorData {
  const count = elementCount(shape);
  const fail = (msg: string) => invalidArg(`${what}: ${msg}`);
  let out: TensorData;
  if (datatype === 'BYTES') {
    if (!Array.isArray(data)) throw fail('BYTES data must be an array of strings or Uint8Arrays');
    out = data.map((v) => (typeof v === 'string' ? encoder.encode(v) : v instanceof Uint8Array ? v : encoder.encode(String(v))));
  } else {
    const ctor = DATA_TYPES[datatype].ctor!;
    if (data instanceof ctor) out = data as TypedArray;
    else if (ArrayBuffer.isView(data) || Array.isArray(data)) {
      const src = data as ArrayLike<number | bigint | boolean>;
      const arr = allocate(datatype, src.length) as TypedArray;
      const big = datatype === 'INT64' || datatype === 'UINT64';
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        (arr as unknown as (number | bigint)[])[i] = big ? BigInt(typeof v === 'boolean' ? Number(v) : v) : Number(v);
      }
      out = arr;
    } else {
      throw fail(`data must be an array or a typed array, got ${typeof data}`);
    }
  }
  if (out.length !== count) throw fail(`shape [${shape.join(',')}] needs ${count} elements, data has ${out.length}`);
  return out;
}
