import { describe, expect, it } from 'vitest';
import { deserializeBytesTensor, serializeBytesTensor } from '../../src/core/tensor/bytes.ts';
import {
  allocate,
  byteSize,
  configTypeToDataType,
  dataTypeToConfigType,
  elementCount,
  isDataType,
  tensorBytes,
  viewBytes,
} from '../../src/core/tensor/datatype.ts';
import { flattenJsonData, jsonToTensorData, tensorDataToJson } from '../../src/core/tensor/json.ts';
import { checkShape, formatShape } from '../../src/core/tensor/shape.ts';
import type { DataType } from '../../src/core/types.ts';
import { caught } from './helpers.ts';

describe('datatype.ts', () => {
  it('knows the element size of every datatype', () => {
    const sizes: Record<DataType, number> = {
      BOOL: 1,
      UINT8: 1,
      INT8: 1,
      UINT16: 2,
      INT16: 2,
      FP16: 2,
      BF16: 2,
      UINT32: 4,
      INT32: 4,
      FP32: 4,
      UINT64: 8,
      INT64: 8,
      FP64: 8,
      BYTES: 0,
    };
    for (const [dt, size] of Object.entries(sizes)) expect(byteSize(dt as DataType), dt).toBe(size);
  });

  it('recognises datatype names', () => {
    expect(isDataType('FP32')).toBe(true);
    expect(isDataType('BYTES')).toBe(true);
    expect(isDataType('STRING')).toBe(false);
    expect(isDataType('fp32')).toBe(false);
    expect(isDataType('toString')).toBe(false);
    expect(isDataType(3)).toBe(false);
  });

  it('maps config type names to protocol names and back (TYPE_STRING <-> BYTES)', () => {
    expect(configTypeToDataType('TYPE_FP32')).toBe('FP32');
    expect(configTypeToDataType('TYPE_STRING')).toBe('BYTES');
    expect(configTypeToDataType('TYPE_BF16')).toBe('BF16');
    expect(configTypeToDataType('TYPE_BYTES')).toBeUndefined();
    expect(configTypeToDataType('TYPE_INVALID')).toBeUndefined();
    expect(dataTypeToConfigType('BYTES')).toBe('TYPE_STRING');
    expect(dataTypeToConfigType('UINT64')).toBe('TYPE_UINT64');
  });

  it('counts elements', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([5, 0, 7])).toBe(0);
  });

  it('allocates zeroed storage of the right kind', () => {
    const f = allocate('FP16', 3);
    expect(f).toBeInstanceOf(Uint16Array);
    expect(Array.from(f as Uint16Array)).toEqual([0, 0, 0]);
    expect(allocate('INT64', 2)).toBeInstanceOf(BigInt64Array);
    const b = allocate('BYTES', 2) as Uint8Array[];
    expect(b.map((e) => e.byteLength)).toEqual([0, 0]);
  });

  it('views aligned and unaligned little-endian bytes', () => {
    const buf = new Uint8Array([0xaa, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const f = viewBytes('FP32', buf.subarray(1)); // offset 1: unaligned
    expect(Array.from(f as Float32Array)).toEqual([1, 2]);
    const i = viewBytes('INT16', new Uint8Array([0xff, 0xff, 2, 0]));
    expect(Array.from(i as Int16Array)).toEqual([-1, 2]);
  });

  it('tensorBytes returns exactly the viewed bytes', () => {
    const view = new Uint16Array([0x0102, 0x0304, 0x0506]).subarray(1, 2);
    expect(Array.from(tensorBytes(view))).toEqual([0x04, 0x03]);
  });
});

describe('shape.ts', () => {
  it('returns the element count of a valid shape', () => {
    expect(checkShape('x', [])).toBe(1);
    expect(checkShape('x', [2, 3])).toBe(6);
    expect(checkShape('x', [0, 5])).toBe(0);
  });

  it('rejects non-arrays, negative and non-integer dims with INVALID_ARG', () => {
    for (const s of [[-1], [2, 1.5], ['3'], [null], 'x', { 0: 1 }]) {
      const e = caught(() => checkShape('x', s));
      expect(e.code, JSON.stringify(s)).toBe('INVALID_ARG');
    }
  });

  it('rejects an element count above int64 max with the Triton message', () => {
    expect(caught(() => checkShape('in', [4294967296, 4294967296, 2]))).toEqual({
      code: 'INVALID_ARG',
      message: "invalid shape for input 'in': shape [4294967296,4294967296,2] causes total element count to exceed maximum size of 9223372036854775807",
    });
  });

  it('formats shapes compactly', () => {
    expect(formatShape([-1, 16])).toBe('[-1,16]');
    expect(formatShape([2n, 3n])).toBe('[2,3]');
    expect(formatShape([])).toBe('[]');
  });
});

describe('json.ts', () => {
  it('flattens nested data row-major and flags overflow past the limit', () => {
    expect(
      flattenJsonData(
        [
          [1, 2],
          [3, [4]],
        ],
        4,
      ),
    ).toEqual({ values: [1, 2, 3, 4], overflow: false });
    expect(flattenJsonData([1, 2, 3], 2).overflow).toBe(true);
    expect(flattenJsonData([], 0)).toEqual({ values: [], overflow: false });
  });

  it('rejects nesting deeper than 100 levels', () => {
    let deep: unknown = [1];
    for (let i = 0; i < 120; i++) deep = [deep];
    expect(caught(() => flattenJsonData(deep, 10))).toEqual({
      code: 'INVALID_ARG',
      message: 'JSON nesting depth exceeds maximum allowed limit (100)',
    });
  });

  it('converts JSON scalars to typed storage', () => {
    expect(Array.from(jsonToTensorData('x', 'UINT16', [0, 65535]) as Uint16Array)).toEqual([0, 65535]);
    expect(Array.from(jsonToTensorData('x', 'INT64', [-5, 6]) as BigInt64Array)).toEqual([-5n, 6n]);
    expect(Array.from(jsonToTensorData('x', 'BOOL', [false, true]) as Uint8Array)).toEqual([0, 1]);
    expect(Array.from(jsonToTensorData('x', 'FP32', [0.5]) as Float32Array)).toEqual([0.5]);
  });

  it('writes tensor data as flat JSON text', () => {
    expect(tensorDataToJson('FP32', new Float32Array([0.1, -0, 1e-7]))).toBe('[0.10000000149011612,0,1.0000000116860974e-7]');
    expect(tensorDataToJson('FP64', new Float64Array([NaN, -Infinity]))).toBe('[NaN,-Infinity]');
    expect(tensorDataToJson('BOOL', new Uint8Array([0, 1]))).toBe('[false,true]');
    expect(tensorDataToJson('UINT64', new BigUint64Array([18446744073709551615n]))).toBe('[18446744073709551615]');
    expect(tensorDataToJson('BYTES', [new TextEncoder().encode('x\ty')])).toBe('["x\\ty"]');
    expect(tensorDataToJson('INT32', new Int32Array(0))).toBe('[]');
  });
});

describe('bytes.ts', () => {
  it('serialises BYTES elements with 4-byte little-endian length prefixes', () => {
    const out = serializeBytesTensor([new Uint8Array([65, 66, 67]), new Uint8Array(0), new Uint8Array([0])]);
    expect(Array.from(out)).toEqual([3, 0, 0, 0, 65, 66, 67, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('deserialises into the same elements', () => {
    const buf = new Uint8Array([3, 0, 0, 0, 65, 66, 67, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const els = deserializeBytesTensor(buf, 3, 'I', 'm');
    expect(els.map((e) => Array.from(e))).toEqual([[65, 66, 67], [], [0]]);
  });

  it('handles a length prefix of 256 and more (little-endian)', () => {
    const payload = new Uint8Array(260).fill(7);
    const buf = new Uint8Array(4 + 260);
    buf.set([4, 1, 0, 0]);
    buf.set(payload, 4);
    const els = deserializeBytesTensor(buf, 1, 'I', 'm');
    expect(els[0]?.byteLength).toBe(260);
  });

  it('reports truncated prefixes, truncated data and wrong element counts', () => {
    expect(caught(() => deserializeBytesTensor(new Uint8Array([1, 0, 0]), 1, 'I', 'm')).message).toMatch(
      /^incomplete string length indicator for inference input 'I' for model 'm'/,
    );
    expect(caught(() => deserializeBytesTensor(new Uint8Array([5, 0, 0, 0, 1]), 1, 'I', 'm')).message).toMatch(
      /^incomplete string data for inference input 'I' for model 'm'/,
    );
    expect(caught(() => deserializeBytesTensor(new Uint8Array(0), 2, 'I', 'm'))).toEqual({
      code: 'INVALID_ARG',
      message: "expected 2 string elements for inference input 'I' for model 'm', got 0",
    });
  });
});
