import { describe, expect, it } from 'vitest';
import { decodeInferRequest } from '../../src/core/codec/kserve-request.ts';
import type { DataType, InferRequest, NamedTensor } from '../../src/core/types.ts';
import { bytesElements } from '../helpers/kserve.ts';
import { caught } from './helpers.ts';

const enc = new TextEncoder();

/** A request body: JSON header (object or raw JSON text, optionally padded) followed by binary sections. */
function body(header: unknown, bins: Uint8Array[] = [], pad = 0): { bytes: Uint8Array; headerLength: number } {
  const text = (typeof header === 'string' ? header : JSON.stringify(header)) + ' '.repeat(pad);
  const json = enc.encode(text);
  const total = json.byteLength + bins.reduce((n, b) => n + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  bytes.set(json, 0);
  let off = json.byteLength;
  for (const b of bins) {
    bytes.set(b, off);
    off += b.byteLength;
  }
  return { bytes, headerLength: json.byteLength };
}

/** JSON-only request (no Inference-Header-Content-Length). */
const decodeJson = (header: unknown): InferRequest => decodeInferRequest(body(header).bytes, { model: 'm' });
/** JSON header + binary data (with Inference-Header-Content-Length). */
function decodeBin(header: unknown, bins: Uint8Array[], pad = 0): InferRequest {
  const b = body(header, bins, pad);
  return decodeInferRequest(b.bytes, { model: 'm', headerLength: b.headerLength });
}
const input = (o: Record<string, unknown>) => ({ inputs: [{ name: 'I', ...o }] });
const first = (r: InferRequest): NamedTensor => r.inputs[0]!;
const values = (t: NamedTensor): unknown[] => Array.from(t.data as ArrayLike<unknown>);

/** Little-endian bytes built with DataView. */
function le(n: number, write: (v: DataView, off: number, i: number) => void, size: number): Uint8Array {
  const out = new Uint8Array(n * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) write(v, i * size, i);
  return out;
}

interface FixedCase {
  dt: DataType;
  size: number;
  ctor: string;
  values: (number | bigint)[];
  write: (v: DataView, off: number, x: number | bigint) => void;
}

const FIXED: FixedCase[] = [
  { dt: 'BOOL', size: 1, ctor: 'Uint8Array', values: [1, 0, 1], write: (v, o, x) => v.setUint8(o, x as number) },
  { dt: 'UINT8', size: 1, ctor: 'Uint8Array', values: [0, 255, 7], write: (v, o, x) => v.setUint8(o, x as number) },
  { dt: 'INT8', size: 1, ctor: 'Int8Array', values: [-128, 127, -1], write: (v, o, x) => v.setInt8(o, x as number) },
  { dt: 'UINT16', size: 2, ctor: 'Uint16Array', values: [0, 65535, 258], write: (v, o, x) => v.setUint16(o, x as number, true) },
  { dt: 'INT16', size: 2, ctor: 'Int16Array', values: [-32768, 32767, -2], write: (v, o, x) => v.setInt16(o, x as number, true) },
  { dt: 'FP16', size: 2, ctor: 'Uint16Array', values: [0x3c00, 0xc000, 0x7e00], write: (v, o, x) => v.setUint16(o, x as number, true) },
  { dt: 'BF16', size: 2, ctor: 'Uint16Array', values: [0x3f80, 0xbf80, 0x7fc0], write: (v, o, x) => v.setUint16(o, x as number, true) },
  { dt: 'UINT32', size: 4, ctor: 'Uint32Array', values: [0, 4294967295, 16909060], write: (v, o, x) => v.setUint32(o, x as number, true) },
  { dt: 'INT32', size: 4, ctor: 'Int32Array', values: [-2147483648, 2147483647, -3], write: (v, o, x) => v.setInt32(o, x as number, true) },
  { dt: 'FP32', size: 4, ctor: 'Float32Array', values: [1.5, -0.25, 3], write: (v, o, x) => v.setFloat32(o, x as number, true) },
  {
    dt: 'UINT64',
    size: 8,
    ctor: 'BigUint64Array',
    values: [0n, 18446744073709551615n, 72623859790382856n],
    write: (v, o, x) => v.setBigUint64(o, x as bigint, true),
  },
  {
    dt: 'INT64',
    size: 8,
    ctor: 'BigInt64Array',
    values: [-9223372036854775808n, 9223372036854775807n, -5n],
    write: (v, o, x) => v.setBigInt64(o, x as bigint, true),
  },
  { dt: 'FP64', size: 8, ctor: 'Float64Array', values: [0.1, -1e300, 2.5], write: (v, o, x) => v.setFloat64(o, x as number, true) },
];

const sectionOf = (c: FixedCase) => le(c.values.length, (v, off, i) => c.write(v, off, c.values[i]!), c.size);

describe('decodeInferRequest: binary tensor data (§3.5)', () => {
  it.each(FIXED.map((c) => [c.dt, c] as const))('%s: decodes exactly 3 * element-size little-endian bytes', (_dt, c) => {
    const section = sectionOf(c);
    expect(section.byteLength).toBe(3 * c.size);
    const r = decodeBin(input({ datatype: c.dt, shape: [3], parameters: { binary_data_size: 3 * c.size } }), [section]);
    const t = first(r);
    expect(t.datatype).toBe(c.dt);
    expect(t.shape).toEqual([3]);
    expect(t.data.constructor.name).toBe(c.ctor);
    expect(values(t)).toEqual(c.values);
    expect(t.parameters).toBeUndefined();
  });

  it.each(FIXED.map((c) => [c.dt, c] as const))('%s: decodes correctly when the binary section is unaligned', (_dt, c) => {
    // Pad the JSON so that the binary data starts at an offset that is 3 mod 8.
    const header = input({ datatype: c.dt, shape: [3], parameters: { binary_data_size: 3 * c.size } });
    const len = enc.encode(JSON.stringify(header)).byteLength;
    const pad = (((3 - len) % 8) + 8) % 8;
    const r = decodeBin(header, [sectionOf(c)], pad);
    expect(values(first(r))).toEqual(c.values);
  });

  it.each(FIXED.map((c) => [c.dt, c] as const))('%s: one byte too few is "unexpected size ..."', (_dt, c) => {
    const section = sectionOf(c).subarray(0, 3 * c.size - 1);
    const e = caught(() => decodeBin(input({ datatype: c.dt, shape: [3], parameters: { binary_data_size: 3 * c.size } }), [section]));
    expect(e).toEqual({ code: 'INVALID_ARG', message: "unexpected size for input 'I', expecting 1 additional bytes for model 'm'" });
  });

  it.each(FIXED.map((c) => [c.dt, c] as const))('%s: binary_data_size not matching the shape is an error', (_dt, c) => {
    const section = sectionOf(c).subarray(0, 3 * c.size - 1);
    const e = caught(() => decodeBin(input({ datatype: c.dt, shape: [3], parameters: { binary_data_size: 3 * c.size - 1 } }), [section]));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message).toContain(`input byte size mismatch for input 'I' for model 'm'. Expected ${3 * c.size}, got ${3 * c.size - 1}`);
  });

  it('reads several binary inputs in JSON order and reports the shortfall of a later one', () => {
    const a = le(2, (v, o, i) => v.setFloat32(o, [1.25, -8][i]!, true), 4);
    const b = new Uint8Array([250, 1, 2]);
    const header = {
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
        { name: 'J', datatype: 'INT32', shape: [1], data: [7] },
        { name: 'B', datatype: 'UINT8', shape: [3], parameters: { binary_data_size: 3 } },
      ],
    };
    const r = decodeBin(header, [a, b]);
    expect(r.inputs.map((t) => [t.name, t.datatype, t.shape, values(t)])).toEqual([
      ['A', 'FP32', [2], [1.25, -8]],
      ['J', 'INT32', [1], [7]],
      ['B', 'UINT8', [3], [250, 1, 2]],
    ]);
    expect(caught(() => decodeBin(header, [a, b.subarray(0, 1)]))).toEqual({
      code: 'INVALID_ARG',
      message: "unexpected size for input 'B', expecting 2 additional bytes for model 'm'",
    });
  });

  it('leftover bytes are "unexpected additional input data"', () => {
    const fp = le(1, (v, o) => v.setFloat32(o, 2, true), 4);
    expect(caught(() => decodeBin(input({ datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }), [fp, new Uint8Array([0])]))).toEqual({
      code: 'INVALID_ARG',
      message: "unexpected additional input data for model 'm'",
    });
    expect(caught(() => decodeBin(input({ datatype: 'FP32', shape: [1], data: [1] }), [new Uint8Array(4)]))).toEqual({
      code: 'INVALID_ARG',
      message: "unexpected additional input data for model 'm'",
    });
  });

  it('a negative or non-integer binary_data_size is rejected', () => {
    for (const size of [-4, 1.5, '4']) {
      const e = caught(() => decodeBin(input({ datatype: 'FP32', shape: [1], parameters: { binary_data_size: size } }), [new Uint8Array(4)]));
      expect(e.code, String(size)).toBe('INVALID_ARG');
    }
  });

  it('keeps other input parameters but drops binary_data_size', () => {
    const r = decodeBin(input({ datatype: 'INT8', shape: [1], parameters: { binary_data_size: 1, note: 'x' } }), [new Uint8Array([5])]);
    expect(first(r).parameters).toEqual({ note: 'x' });
  });

  describe('BYTES (length-prefixed)', () => {
    const hi = new Uint8Array([104, 105]);
    const raw = new Uint8Array([0xff, 0x00, 0xc3]);

    it('splits elements, including empty and non-UTF-8 ones', () => {
      const section = bytesElements([hi, new Uint8Array(0), raw]);
      expect(section.byteLength).toBe(4 + 2 + 4 + 0 + 4 + 3);
      const t = first(decodeBin(input({ datatype: 'BYTES', shape: [3], parameters: { binary_data_size: section.byteLength } }), [section]));
      expect(t.datatype).toBe('BYTES');
      expect((t.data as Uint8Array[]).map((e) => Array.from(e))).toEqual([[104, 105], [], [0xff, 0x00, 0xc3]]);
    });

    it('accepts a zero-element tensor with no bytes', () => {
      const t = first(decodeBin(input({ datatype: 'BYTES', shape: [0], parameters: { binary_data_size: 0 } }), []));
      expect(t.data).toEqual([]);
    });

    it('rejects a truncated length indicator', () => {
      const section = bytesElements([hi]);
      const cut = new Uint8Array([...section, 1, 0]); // 2 bytes of a second length prefix
      const e = caught(() => decodeBin(input({ datatype: 'BYTES', shape: [2], parameters: { binary_data_size: cut.byteLength } }), [cut]));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toMatch(/^incomplete string length indicator for inference input 'I' for model 'm'/);
    });

    it('rejects truncated string data', () => {
      const cut = bytesElements([hi]).subarray(0, 5); // length 2, one byte present
      const e = caught(() => decodeBin(input({ datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 5 } }), [cut]));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toMatch(/^incomplete string data for inference input 'I' for model 'm'/);
    });

    it('rejects fewer elements than the shape demands', () => {
      const section = bytesElements([hi, hi]);
      expect(caught(() => decodeBin(input({ datatype: 'BYTES', shape: [3], parameters: { binary_data_size: section.byteLength } }), [section]))).toEqual({
        code: 'INVALID_ARG',
        message: "expected 3 string elements for inference input 'I' for model 'm', got 2",
      });
    });

    it('rejects more elements than the shape demands', () => {
      const section = bytesElements([hi, hi]);
      const e = caught(() => decodeBin(input({ datatype: 'BYTES', shape: [1], parameters: { binary_data_size: section.byteLength } }), [section]));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toMatch(/^expected 1 string elements for inference input 'I' for model 'm', got/);
    });
  });

  it('binary data without Inference-Header-Content-Length is a JSON parse error', () => {
    const b = body(input({ datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }), [new Uint8Array([0, 0, 128, 63])]);
    const e = caught(() => decodeInferRequest(b.bytes, { model: 'm' }));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message).toMatch(/^failed to parse the request JSON buffer/);
  });

  it('raw binary mode (headerLength 0): the whole body becomes rawInput and outputs default to binary', () => {
    const raw = new Uint8Array([1, 2, 3, 4, 5]);
    const r = decodeInferRequest(raw, { model: 'm', version: '3', headerLength: 0 });
    expect(r.model).toBe('m');
    expect(r.version).toBe('3');
    expect(r.inputs).toEqual([]);
    expect(Array.from(r.rawInput ?? [])).toEqual([1, 2, 3, 4, 5]);
    expect(r.binaryOutput).toBe(true);
    expect(r.parameters).toBeUndefined();
  });
});

describe('decodeInferRequest: JSON data (§3.2)', () => {
  it('passes model, version and id through; an empty id is dropped', () => {
    const r = decodeInferRequest(body({ id: '42', inputs: [] }).bytes, { model: 'simple', version: '2' });
    expect(r).toMatchObject({ model: 'simple', version: '2', id: '42', inputs: [] });
    expect('id' in decodeJson({ id: '', inputs: [] })).toBe(false);
    expect(r.outputs).toBeUndefined();
  });

  it('rejects a non-string id, missing inputs and malformed JSON', () => {
    expect(caught(() => decodeJson({ id: 5, inputs: [] })).code).toBe('INVALID_ARG');
    expect(caught(() => decodeJson({})).code).toBe('INVALID_ARG');
    const bad = caught(() => decodeJson('{"inputs": ['));
    expect(bad.code).toBe('INVALID_ARG');
    expect(bad.message).toMatch(/^failed to parse the request JSON buffer/);
    expect(caught(() => decodeJson('[1,2]')).code).toBe('INVALID_ARG');
  });

  it('accepts nested (row-major) and flat data', () => {
    const nested = first(
      decodeJson(
        input({
          datatype: 'INT32',
          shape: [2, 3],
          data: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        }),
      ),
    );
    expect(nested.shape).toEqual([2, 3]);
    expect(values(nested)).toEqual([1, 2, 3, 4, 5, 6]);
    const flat = first(decodeJson(input({ datatype: 'INT32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] })));
    expect(values(flat)).toEqual([1, 2, 3, 4, 5, 6]);
    const deep = first(decodeJson(input({ datatype: 'FP64', shape: [1, 2, 1], data: [[[0.5], [1.5]]] })));
    expect(values(deep)).toEqual([0.5, 1.5]);
  });

  it('element count lower than the shape: "Failed to parse \'data\' field: shape does not match true shape"', () => {
    const e = caught(() => decodeJson(input({ datatype: 'FP32', shape: [2, 2], data: [1, 2, 3] })));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message).toMatch(/^Failed to parse 'data' field: shape does not match true shape/);
  });

  it("element count higher than the shape: \"Unable to parse 'data': Shape does not match true shape of 'data' field\"", () => {
    for (const data of [
      [1, 2, 3, 4, 5],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]) {
      const e = caught(() => decodeJson(input({ datatype: 'FP32', shape: [2, 2], data })));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toMatch(/^Unable to parse 'data': Shape does not match true shape of 'data' field/);
    }
  });

  it('accepts a zero-element tensor with empty data', () => {
    const t = first(decodeJson(input({ datatype: 'FP32', shape: [0, 3], data: [] })));
    expect(t.shape).toEqual([0, 3]);
    expect(t.data.length).toBe(0);
  });

  describe('element typing per datatype', () => {
    const ok = (dt: string, data: unknown[]) => values(first(decodeJson(input({ datatype: dt, shape: [data.length], data }))));
    const bad = (dt: string, data: unknown[]) => caught(() => decodeJson(input({ datatype: dt, shape: [data.length], data })));

    it('BOOL needs true/false', () => {
      expect(ok('BOOL', [true, false, true])).toEqual([1, 0, 1]);
      for (const v of [1, 0, 'true', null]) expect(bad('BOOL', [v]).code, String(v)).toBe('INVALID_ARG');
    });

    it.each(['INT8', 'INT16', 'INT32', 'INT64'])('%s needs integers', (dt) => {
      const got = ok(dt, [-3, 0, 7]);
      expect(got.map(Number)).toEqual([-3, 0, 7]);
      for (const v of [1.5, '1', true, null]) expect(bad(dt, [v]).code, `${dt} ${String(v)}`).toBe('INVALID_ARG');
    });

    it.each(['UINT8', 'UINT16', 'UINT32', 'UINT64'])('%s needs non-negative integers', (dt) => {
      expect(ok(dt, [0, 1, 200]).map(Number)).toEqual([0, 1, 200]);
      for (const v of [-1, 2.5, '3', false]) expect(bad(dt, [v]).code, `${dt} ${String(v)}`).toBe('INVALID_ARG');
    });

    it('rejects out-of-range values for narrow integer types', () => {
      expect(bad('INT8', [128]).code).toBe('INVALID_ARG');
      expect(bad('UINT8', [256]).code).toBe('INVALID_ARG');
      expect(bad('INT16', [-32769]).code).toBe('INVALID_ARG');
      expect(bad('UINT32', [4294967296]).code).toBe('INVALID_ARG');
    });

    it('rejects 1.0 (a JSON double) for integer types', () => {
      for (const dt of ['INT32', 'INT64', 'UINT8']) {
        const text = `{"inputs":[{"name":"I","datatype":"${dt}","shape":[2],"data":[1.0,2]}]}`;
        const e = caught(() => decodeJson(text));
        expect(e.code, dt).toBe('INVALID_ARG');
      }
    });

    it('INT64 keeps full 64-bit precision from JSON (2^53 + 1, int64 max)', () => {
      const i64 = first(
        decodeJson('{"inputs":[{"name":"I","datatype":"INT64","shape":[3],"data":[9007199254740993,-9223372036854775808,9223372036854775807]}]}'),
      );
      expect(values(i64)).toEqual([9007199254740993n, -9223372036854775808n, 9223372036854775807n]);
    });

    it('UINT64 keeps full 64-bit precision from JSON (2^64 - 1)', () => {
      const u64 = first(decodeJson('{"inputs":[{"name":"I","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}'));
      expect(values(u64)).toEqual([18446744073709551615n]);
    });

    it('FP32/FP64 accept any JSON number', () => {
      expect(ok('FP32', [1, 1.5, -2e3])).toEqual([1, 1.5, -2000]);
      expect(ok('FP64', [0.1, -1e300, 3])).toEqual([0.1, -1e300, 3]);
      expect(bad('FP32', ['1']).code).toBe('INVALID_ARG');
      expect(bad('FP64', [true]).code).toBe('INVALID_ARG');
    });

    it.each(['FP16', 'BF16'])('%s cannot be sent as JSON', (dt) => {
      expect(bad(dt, [1])).toEqual({
        code: 'INVALID_ARG',
        message: `receiving ${dt} data via JSON is not supported. Please use the binary data format for input I`,
      });
    });

    it('BYTES needs JSON strings (stored as UTF-8)', () => {
      const t = first(decodeJson(input({ datatype: 'BYTES', shape: [2], data: ['hé', ''] })));
      expect((t.data as Uint8Array[]).map((e) => Array.from(e))).toEqual([[0x68, 0xc3, 0xa9], []]);
      expect(bad('BYTES', [1]).code).toBe('INVALID_ARG');
    });

    it('an unknown datatype is "invalid datatype for input <name>"', () => {
      expect(caught(() => decodeJson(input({ datatype: 'FP8', shape: [1], data: [1] })))).toEqual({
        code: 'INVALID_ARG',
        message: 'invalid datatype for input I',
      });
    });
  });

  describe('"Input must set only one of ..."', () => {
    const head = "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But ";
    it.each([
      [{}, 'no field is set'],
      [{ data: [1], parameters: { binary_data_size: 4 } }, "set 'data' 'binary_data_size'"],
      [{ data: [1], parameters: { shared_memory_region: 'r' } }, "set 'data' 'shared_memory_region'"],
      [{ data: [1], parameters: { binary_data_size: 4, shared_memory_region: 'r' } }, "set 'data' 'binary_data_size' 'shared_memory_region'"],
    ])('%j', (extra, tail) => {
      expect(caught(() => decodeJson(input({ datatype: 'FP32', shape: [1], ...extra })))).toEqual({ code: 'INVALID_ARG', message: head + tail });
    });
  });

  describe('shape', () => {
    it.each([[[2, -5]], [[1.5]], [['2']], ['2']])('rejects %j with INVALID_ARG', (shape) => {
      const e = caught(() => decodeJson(input({ datatype: 'FP32', shape, data: [] })));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toContain('shape');
    });

    it('rejects an element count that overflows int64', () => {
      expect(caught(() => decodeJson(input({ datatype: 'FP32', shape: [4294967296, 4294967296], data: [] })))).toEqual({
        code: 'INVALID_ARG',
        message: "invalid shape for input 'I': shape [4294967296,4294967296] causes total element count to exceed maximum size of 9223372036854775807",
      });
    });

    it('reports a byte size overflow (not an element count overflow) when only count * size exceeds int64', () => {
      // 2^31 * 2^31 = 2^62 elements fit in int64; 2^62 * 4 bytes do not.
      const e = caught(() => decodeJson(input({ datatype: 'FP32', shape: [2147483648, 2147483648], data: [] })));
      expect(e.code).toBe('INVALID_ARG');
      expect(e.message).toMatch(
        /^byte size overflow for input 'I': element count \(4611686018427387904\) \* data type size \(4\) exceeds maximum allowed size/,
      );
    });
  });

  it('rejects the same input name twice', () => {
    const e = caught(() =>
      decodeJson({
        inputs: [
          { name: 'I', datatype: 'FP32', shape: [1], data: [1] },
          { name: 'I', datatype: 'FP32', shape: [1], data: [2] },
        ],
      }),
    );
    expect(e.code).toBe('INVALID_ARG');
  });
});

describe('decodeInferRequest: parameters (§3.4)', () => {
  const _params = (p: unknown) => decodeJson({ parameters: p, inputs: [] }).parameters;
  const bad = (p: unknown) => caught(() => decodeJson({ parameters: p, inputs: [] }));

  it('accepts reserved keys with their types and forwards custom string/int/bool/double parameters', () => {
    const r = decodeJson({
      parameters: {
        sequence_id: 7,
        sequence_start: true,
        sequence_end: false,
        priority: 2,
        timeout: 100,
        binary_data_output: true,
        s: 'x',
        i: 3,
        b: false,
        d: 1.5,
      },
      inputs: [],
    });
    expect(r).toMatchObject({
      sequence: { id: 7, start: true, end: false },
      priority: 2,
      timeoutUs: 100,
      binaryOutput: true,
      parameters: { s: 'x', i: 3, b: false, d: 1.5 },
    });
    expect(decodeJson({ parameters: { sequence_id: 'corr-1' }, inputs: [] })).toMatchObject({ sequence: { id: 'corr-1', start: false, end: false } });
    expect(decodeJson({ parameters: { sequence_end: true }, inputs: [] }).sequence).toEqual({ id: 0, start: false, end: true });
    expect(decodeJson({ parameters: { s: 'x' }, inputs: [] }).sequence).toBeUndefined();
  });

  it.each([
    ['sequence_id', -1],
    ['sequence_id', 1.5],
    ['sequence_id', true],
    ['sequence_start', 1],
    ['sequence_end', 'true'],
    ['priority', -1],
    ['priority', '1'],
    ['timeout', 2.5],
    ['binary_data_output', 'yes'],
  ])('rejects %s = %j', (key, value) => {
    const e = bad({ [key]: value });
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message.startsWith(`Unable to parse '${key}': `)).toBe(true);
  });

  it('rejects keys starting with triton_', () => {
    expect(bad({ triton_enable_empty_final_response: true })).toEqual({
      code: 'INVALID_ARG',
      message: "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
    });
  });

  it('rejects reserved key headers', () => {
    expect(bad({ headers: { a: 'b' } }).code).toBe('INVALID_ARG');
  });

  it.each([[[1]], [{ a: 1 }], [null]])('rejects a custom parameter of invalid type %j', (value) => {
    expect(bad({ x: value })).toEqual({
      code: 'INVALID_ARG',
      message: "parameter 'x' has invalid type. It should be either 'int', 'bool', or 'string'.",
    });
  });

  it('rejects non-object parameters', () => {
    expect(bad([1]).code).toBe('INVALID_ARG');
    expect(bad('x').code).toBe('INVALID_ARG');
  });
});

describe('decodeInferRequest: requested outputs', () => {
  const outputs = (o: unknown) => decodeJson({ inputs: [], outputs: o }).outputs;

  it('reads binary_data and classification', () => {
    expect(outputs([{ name: 'A', parameters: { binary_data: true } }, { name: 'B', parameters: { classification: 3 } }, { name: 'C' }])).toEqual([
      { name: 'A', parameters: { binary_data: true } },
      { name: 'B', classification: 3, parameters: { classification: 3 } },
      { name: 'C' },
    ]);
    expect(outputs([{ name: 'A', parameters: { binary_data: false, classification: 0 } }])?.[0]?.classification).toBeUndefined();
    // An empty list asks for no output in particular: the request then returns all outputs.
    expect(outputs([])).toBeUndefined();
  });

  it('rejects bad output specs', () => {
    expect(caught(() => outputs([{ name: 'A', parameters: { binary_data: 1 } }])).code).toBe('INVALID_ARG');
    expect(caught(() => outputs([{ name: 'A', parameters: { classification: -1 } }])).code).toBe('INVALID_ARG');
    expect(caught(() => outputs([{ name: 'A', parameters: { classification: 1.5 } }])).code).toBe('INVALID_ARG');
    expect(caught(() => outputs([{ parameters: {} }])).code).toBe('INVALID_ARG');
    expect(caught(() => outputs({ name: 'A' })).code).toBe('INVALID_ARG');
    expect(caught(() => outputs([{ name: 'A', parameters: { classification: 2, shared_memory_region: 'r' } }]))).toEqual({
      code: 'INVALID_ARG',
      message: "Output can't set both 'shared_memory_region' and 'classification'",
    });
  });
});
