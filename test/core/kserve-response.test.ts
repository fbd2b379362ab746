import { describe, expect, it } from 'vitest';
import { decodeInferRequest } from '../../src/core/codec/kserve-request.ts';
import { binaryOutputs, type EncodedResponse, encodeInferResponse, joinParts } from '../../src/core/codec/kserve-response.ts';
import type { InferResponse, NamedTensor } from '../../src/core/types.ts';
import { caught } from './helpers.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const never = () => false;
const always = () => true;

const res = (outputs: NamedTensor[], extra: Partial<InferResponse> = {}): InferResponse => ({ model_name: 'm', model_version: '1', outputs, ...extra });

/** Splits an encoded response into its JSON text and trailing binary bytes. */
function split(r: EncodedResponse): { json: string; bin: number[] } {
  const body = joinParts(r.parts);
  expect(body.byteLength).toBe(r.byteLength);
  const n = r.headerLength ?? body.byteLength;
  return { json: dec.decode(body.subarray(0, n)), bin: Array.from(body.subarray(n)) };
}

describe('encodeInferResponse: JSON outputs (§3.3)', () => {
  it('prints FP32 as the double of the stored float, and NaN/Infinity/-Infinity bare', () => {
    const r = encodeInferResponse(
      res([{ name: 'O', datatype: 'FP32', shape: [4], data: new Float32Array([0.1, NaN, Infinity, -Infinity]) }], { id: '42' }),
      never,
    );
    expect(r.headerLength).toBeUndefined();
    expect(dec.decode(joinParts(r.parts))).toBe(
      '{"id":"42","model_name":"m","model_version":"1","outputs":[{"name":"O","datatype":"FP32","shape":[4],"data":[0.10000000149011612,NaN,Infinity,-Infinity]}]}',
    );
  });

  it('prints BOOL as true/false and omits an empty id', () => {
    const r = encodeInferResponse(res([{ name: 'B', datatype: 'BOOL', shape: [1, 3], data: new Uint8Array([1, 0, 1]) }], { id: '' }), never);
    expect(dec.decode(joinParts(r.parts))).toBe(
      '{"model_name":"m","model_version":"1","outputs":[{"name":"B","datatype":"BOOL","shape":[1,3],"data":[true,false,true]}]}',
    );
  });

  it('prints INT64/UINT64 beyond 2^53 exactly', () => {
    const r = encodeInferResponse(
      res([
        { name: 'I', datatype: 'INT64', shape: [3], data: new BigInt64Array([9007199254740993n, -9223372036854775808n, 9223372036854775807n]) },
        { name: 'U', datatype: 'UINT64', shape: [1], data: new BigUint64Array([18446744073709551615n]) },
      ]),
      never,
    );
    expect(dec.decode(joinParts(r.parts))).toBe(
      '{"model_name":"m","model_version":"1","outputs":[' +
        '{"name":"I","datatype":"INT64","shape":[3],"data":[9007199254740993,-9223372036854775808,9223372036854775807]},' +
        '{"name":"U","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}',
    );
  });

  it('prints integer types and FP64 as plain JSON numbers', () => {
    const r = encodeInferResponse(
      res([
        { name: 'A', datatype: 'INT8', shape: [2], data: new Int8Array([-128, 127]) },
        { name: 'B', datatype: 'UINT32', shape: [1], data: new Uint32Array([4294967295]) },
        { name: 'C', datatype: 'FP64', shape: [2], data: new Float64Array([0.1, -2.5]) },
      ]),
      never,
    );
    const j = JSON.parse(dec.decode(joinParts(r.parts))) as { outputs: { data: number[] }[] };
    expect(j.outputs.map((o) => o.data)).toEqual([[-128, 127], [4294967295], [0.1, -2.5]]);
  });

  it('prints BYTES as JSON strings', () => {
    const r = encodeInferResponse(res([{ name: 'S', datatype: 'BYTES', shape: [3], data: [enc.encode('a"b'), enc.encode('é\n'), new Uint8Array(0)] }]), never);
    expect(dec.decode(joinParts(r.parts))).toBe(
      '{"model_name":"m","model_version":"1","outputs":[{"name":"S","datatype":"BYTES","shape":[3],"data":["a\\"b","é\\n",""]}]}',
    );
  });

  it('includes response parameters only when present', () => {
    const r = encodeInferResponse(res([], { parameters: { a: 1, b: 'x', c: true } }), never);
    expect(dec.decode(joinParts(r.parts))).toBe('{"model_name":"m","model_version":"1","parameters":{"a":1,"b":"x","c":true},"outputs":[]}');
    expect(dec.decode(joinParts(encodeInferResponse(res([], { parameters: {} }), never).parts))).toBe('{"model_name":"m","model_version":"1","outputs":[]}');
  });

  it('rejects FP16 outputs requested as JSON', () => {
    expect(caught(() => encodeInferResponse(res([{ name: 'H', datatype: 'FP16', shape: [1], data: new Uint16Array([0x3c00]) }]), never))).toEqual({
      code: 'INVALID_ARG',
      message: 'sending FP16 data via JSON is not supported. Please use the binary data format for output',
    });
  });

  it('rejects BF16 outputs requested as JSON', () => {
    const e = caught(() => encodeInferResponse(res([{ name: 'H', datatype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) }]), never));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message).toMatch(/data via JSON is not supported\. Please use the binary data format for output$/);
  });
});

describe('encodeInferResponse: binary outputs (§3.5)', () => {
  it('appends binary outputs in order with binary_data_size and the JSON length as headerLength', () => {
    const outputs: NamedTensor[] = [
      { name: 'A', datatype: 'INT32', shape: [2], data: new Int32Array([1, -2]) },
      { name: 'J', datatype: 'INT8', shape: [1], data: new Int8Array([-1]) },
      { name: 'Z', datatype: 'FP32', shape: [0], data: new Float32Array(0) },
      { name: 'S', datatype: 'BYTES', shape: [2], data: [new Uint8Array([7, 8]), new Uint8Array(0)] },
      { name: 'D', datatype: 'FP64', shape: [1], data: new Float64Array([1]) },
    ];
    const r = encodeInferResponse(res(outputs), (n) => n !== 'J');
    const expectedJson =
      '{"model_name":"m","model_version":"1","outputs":[' +
      '{"name":"A","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},' +
      '{"name":"J","datatype":"INT8","shape":[1],"data":[-1]},' +
      '{"name":"Z","datatype":"FP32","shape":[0],"parameters":{"binary_data_size":0}},' +
      '{"name":"S","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":10}},' +
      '{"name":"D","datatype":"FP64","shape":[1],"parameters":{"binary_data_size":8}}]}';
    expect(r.headerLength).toBe(enc.encode(expectedJson).byteLength);
    const { json, bin } = split(r);
    expect(json).toBe(expectedJson);
    expect(bin).toEqual([
      1,
      0,
      0,
      0,
      0xfe,
      0xff,
      0xff,
      0xff, // A: 1, -2 (INT32 LE)
      2,
      0,
      0,
      0,
      7,
      8,
      0,
      0,
      0,
      0, // S: len 2 "\x07\x08", len 0
      0,
      0,
      0,
      0,
      0,
      0,
      0xf0,
      0x3f, // D: 1.0 (FP64 LE)
    ]);
    expect(r.byteLength).toBe(r.headerLength! + 8 + 10 + 8);
    expect(r.parts.map((p) => p.byteLength)).toEqual([r.headerLength, 8, 10, 8]);
  });

  it('sets headerLength even when the only binary output is empty', () => {
    const r = encodeInferResponse(res([{ name: 'Z', datatype: 'FP32', shape: [0], data: new Float32Array(0) }]), always);
    const expectedJson = '{"model_name":"m","model_version":"1","outputs":[{"name":"Z","datatype":"FP32","shape":[0],"parameters":{"binary_data_size":0}}]}';
    expect(r.headerLength).toBe(expectedJson.length);
    expect(dec.decode(joinParts(r.parts))).toBe(expectedJson);
  });

  it('keeps other output parameters next to binary_data_size', () => {
    const r = encodeInferResponse(res([{ name: 'A', datatype: 'UINT8', shape: [1], data: new Uint8Array([9]), parameters: { note: 'x' } }]), always);
    const { json, bin } = split(r);
    expect(JSON.parse(json).outputs[0].parameters).toEqual({ note: 'x', binary_data_size: 1 });
    expect(bin).toEqual([9]);
  });

  it('writes only the viewed elements of a typed-array view', () => {
    const view = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    const { bin } = split(encodeInferResponse(res([{ name: 'V', datatype: 'FP32', shape: [2], data: view }]), always));
    expect(bin).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]); // 1.0f, 2.0f
  });

  it('writes FP16 and BF16 as raw 16-bit little-endian patterns', () => {
    const r = encodeInferResponse(
      res([
        { name: 'H', datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0xfc00]) },
        { name: 'B', datatype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) },
      ]),
      always,
    );
    const { json, bin } = split(r);
    expect(JSON.parse(json).outputs.map((o: { parameters: unknown }) => o.parameters)).toEqual([{ binary_data_size: 4 }, { binary_data_size: 2 }]);
    expect(bin).toEqual([0x00, 0x3c, 0x00, 0xfc, 0x80, 0x3f]);
  });

  it('round-trips FP16/BF16 bit patterns from a binary request to a binary response unchanged', () => {
    const patterns = [0x0001, 0x7bff, 0x8000, 0x7e01, 0xffff];
    const section = new Uint8Array(patterns.length * 2);
    const v = new DataView(section.buffer);
    patterns.forEach((p, i) => v.setUint16(i * 2, p, true));
    for (const dt of ['FP16', 'BF16'] as const) {
      const json = enc.encode(JSON.stringify({ inputs: [{ name: 'X', datatype: dt, shape: [5], parameters: { binary_data_size: 10 } }] }));
      const body = new Uint8Array(json.byteLength + 10);
      body.set(json);
      body.set(section, json.byteLength);
      const req = decodeInferRequest(body, { model: 'm', headerLength: json.byteLength });
      const t = req.inputs[0]!;
      const out = encodeInferResponse(res([{ name: 'Y', datatype: dt, shape: t.shape, data: t.data }]), always);
      expect(split(out).bin, dt).toEqual(Array.from(section));
    }
  });
});

describe('binaryOutputs', () => {
  it("lets an output's binary_data override the request default", () => {
    const f = binaryOutputs([{ name: 'a', parameters: { binary_data: false } }, { name: 'b', parameters: { binary_data: true } }, { name: 'c' }], true);
    expect([f('a'), f('b'), f('c'), f('unlisted')]).toEqual([false, true, true, true]);
    const g = binaryOutputs(
      [
        { name: 'b', parameters: { binary_data: true } },
        { name: 'c', parameters: { classification: 2 } },
      ],
      false,
    );
    expect([g('b'), g('c'), g('d')]).toEqual([true, false, false]);
  });

  it('uses the request default when no outputs were listed', () => {
    expect(binaryOutputs(undefined, false)('x')).toBe(false);
    expect(binaryOutputs(undefined, true)('x')).toBe(true);
  });
});
