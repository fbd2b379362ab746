import { invalidArg } from '../errors.ts';
import type { DataType, TensorData, TypedArray } from '../types.ts';
import { allocate } from './datatype.ts';
import { FloatLiteral } from './exact-json.ts';

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();

const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
};

const MAX_NESTING = 100;

/**
 * Flattens KServe JSON `data` (flat or nested row-major arrays) into a list of scalars.
 * Stops early once more than `limit` elements were seen so hostile input cannot make it
 * allocate more than the declared shape needs.
 */
export function flattenJsonData(data: unknown, limit: number): { values: unknown[]; overflow: boolean } {
  const values: unknown[] = [];
  if (!Array.isArray(data)) {
    values.push(data);
    return { values, overflow: limit < 1 };
  }
  const stack: { arr: unknown[]; i: number }[] = [{ arr: data, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.arr.length) {
      stack.pop();
      continue;
    }
    const v = top.arr[top.i++];
    if (Array.isArray(v)) {
      if (stack.length >= MAX_NESTING) throw invalidArg(`JSON nesting depth exceeds maximum allowed limit (${MAX_NESTING})`);
      stack.push({ arr: v, i: 0 });
      continue;
    }
    if (values.length >= limit) return { values, overflow: true };
    values.push(v);
  }
  return { values, overflow: false };
}

function typeError(input: string, expected: string): Error {
  return invalidArg(`Unable to parse 'data': attempt to access JSON non-${expected} as ${expected} for input '${input}'`);
}

/** Converts flattened JSON scalars to tensor storage of `dt`, checking each element's JSON type. */
export function jsonToTensorData(input: string, dt: DataType, values: unknown[]): TensorData {
  const n = values.length;
  if (dt === 'FP16' || dt === 'BF16') {
    throw invalidArg(`receiving ${dt} data via JSON is not supported. Please use the binary data format for input ${input}`);
  }
  if (dt === 'BYTES') {
    const out: Uint8Array[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') throw typeError(input, 'string');
      out[i] = utf8.encode(v);
    }
    return out;
  }
  const out = allocate(dt, n) as TypedArray;
  if (dt === 'BOOL') {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') throw typeError(input, 'boolean');
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  if (dt === 'FP32' || dt === 'FP64') {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'number') out[i] = v;
      else if (v instanceof FloatLiteral) out[i] = v.value;
      else if (typeof v === 'bigint') out[i] = Number(v);
      else throw typeError(input, 'number');
    }
    return out;
  }
  if (dt === 'INT64' || dt === 'UINT64') {
    const unsigned = dt === 'UINT64';
    const big = out as BigInt64Array | BigUint64Array;
    const [lo, hi] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
      if (b === undefined || (unsigned && b < 0n)) throw typeError(input, unsigned ? 'unsigned-integer' : 'signed-integer');
      if (b < lo || b > hi) throw invalidArg(`Unable to parse 'data': value ${b} is out of range for ${dt} input '${input}'`);
      big[i] = b;
    }
    return out;
  }
  const [lo, hi] = INT_RANGE[dt]!;
  const unsigned = lo === 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || (unsigned && v < 0)) {
      throw typeError(input, unsigned ? 'unsigned-integer' : 'signed-integer');
    }
    if (v < lo || v > hi) {
      throw invalidArg(`Unable to parse 'data': value ${v} is out of range for ${dt} input '${input}'`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Writes tensor data as a flat JSON array. Floats keep full double precision of the stored
 * value (an FP32 0.1 prints as 0.10000000149011612, as Triton does); NaN and infinities print
 * as NaN/Infinity/-Infinity, which Triton also writes.
 */
export function tensorDataToJson(dt: DataType, data: TensorData): string {
  if (dt === 'BYTES') {
    const parts = (data as Uint8Array[]).map((b) => JSON.stringify(utf8Decode.decode(b)));
    return `[${parts.join(',')}]`;
  }
  if (dt === 'BOOL') {
    const arr = data as Uint8Array;
    const parts = new Array<string>(arr.length);
    for (let i = 0; i < arr.length; i++) parts[i] = arr[i] ? 'true' : 'false';
    return `[${parts.join(',')}]`;
  }
  return `[${Array.prototype.join.call(data, ',')}]`;
}
