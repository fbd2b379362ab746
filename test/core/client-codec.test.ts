import { describe, expect, it } from 'vitest';
import { bodyOf, decodeClientResponse, decodeInferRequest, encodeClientRequest, encodeInferResponse } from '../../src/core/index.ts';

describe("the client's half of the codec", () => {
  it('a request it encodes decodes on the server side to the same tensors and parameters', () => {
    const x = Float32Array.from([1.5, -2, 3.25, 0]);
    const e = encodeClientRequest({
      id: 'r1',
      parameters: { sequence_id: 7, sequence_start: true, tag: 'x' },
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [1, 4], bytes: new Uint8Array(x.buffer) },
        { name: 'B', datatype: 'INT32', shape: [2], data: [5, -6] },
      ],
      outputs: ['OUT'],
    });
    expect(e.parts).toHaveLength(2);
    expect(e.byteLength).toBe(e.headerLength! + 16);
    const r = decodeInferRequest(bodyOf(e), { model: 'm', headerLength: e.headerLength });
    expect(r.id).toBe('r1');
    expect(r.sequence).toEqual({ id: 7, start: true, end: false });
    expect(r.parameters).toEqual({ tag: 'x' });
    expect(Array.from(r.inputs[0]!.data as Float32Array)).toEqual([1.5, -2, 3.25, 0]);
    expect(Array.from(r.inputs[1]!.data as Int32Array)).toEqual([5, -6]);
    expect(r.outputs).toEqual([{ name: 'OUT' }]);
  });

  it('reads a binary response: JSON outputs as data, binary ones as their bytes', () => {
    const enc = encodeInferResponse(
      {
        model_name: 'm',
        model_version: '2',
        outputs: [
          { name: 'J', datatype: 'INT32', shape: [2], data: Int32Array.of(1, 2) },
          { name: 'B', datatype: 'FP64', shape: [1], data: Float64Array.of(0.5) },
        ],
      },
      (n) => n === 'B',
    );
    const r = decodeClientResponse(bodyOf(enc), enc.headerLength);
    expect(r.model_version).toBe('2');
    expect(r.outputs[0]!.data).toEqual([1, 2]);
    expect(new Float64Array(r.outputs[1]!.bytes!.slice().buffer)[0]).toBe(0.5);
    expect(() => decodeClientResponse(bodyOf(enc).subarray(0, enc.byteLength - 1), enc.headerLength)).toThrow("output 'B' declares 8 bytes");
  });
});
