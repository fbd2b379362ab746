import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxType } from '../../src/tools/onnx/builder.ts';
import { identityModel } from '../../src/tools/onnx/models.ts';
import { buildRequest, bytesElements, readResponse, type WireType } from '../helpers/kserve.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Every KServe datatype onnxruntime-node can carry, through an Identity model, in JSON and in
 * binary form. Expected bytes are built here by hand (DataView, little-endian).
 */
interface Case {
  wire: WireType;
  onnx: OnnxType;
  json?: unknown[];
  /** Little-endian bytes of the same 4 values. */
  bytes: Uint8Array;
}

function le(size: number, values: (number | bigint)[], write: (dv: DataView, off: number, v: never) => void): Uint8Array {
  const out = new Uint8Array(size * values.length);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => write(dv, i * size, v as never));
  return out;
}

const CASES: Case[] = [
  { wire: 'BOOL', onnx: 'bool', json: [true, false, false, true], bytes: new Uint8Array([1, 0, 0, 1]) },
  { wire: 'UINT8', onnx: 'uint8', json: [0, 1, 200, 255], bytes: new Uint8Array([0, 1, 200, 255]) },
  { wire: 'UINT16', onnx: 'uint16', json: [0, 1, 40000, 65535], bytes: le(2, [0, 1, 40000, 65535], (d, o, v: number) => d.setUint16(o, v, true)) },
  {
    wire: 'UINT32',
    onnx: 'uint32',
    json: [0, 7, 3000000000, 4294967295],
    bytes: le(4, [0, 7, 3000000000, 4294967295], (d, o, v: number) => d.setUint32(o, v, true)),
  },
  {
    wire: 'UINT64',
    onnx: 'uint64',
    json: [0, 1, 2 ** 40, 2 ** 53 - 1],
    bytes: le(8, [0n, 1n, 2n ** 40n, 2n ** 53n - 1n], (d, o, v: bigint) => d.setBigUint64(o, v, true)),
  },
  { wire: 'INT8', onnx: 'int8', json: [-128, -1, 0, 127], bytes: le(1, [-128, -1, 0, 127], (d, o, v: number) => d.setInt8(o, v)) },
  { wire: 'INT16', onnx: 'int16', json: [-32768, -2, 3, 32767], bytes: le(2, [-32768, -2, 3, 32767], (d, o, v: number) => d.setInt16(o, v, true)) },
  {
    wire: 'INT32',
    onnx: 'int32',
    json: [-2147483648, -5, 6, 2147483647],
    bytes: le(4, [-2147483648, -5, 6, 2147483647], (d, o, v: number) => d.setInt32(o, v, true)),
  },
  {
    wire: 'INT64',
    onnx: 'int64',
    json: [-(2 ** 53) + 1, -3, 4, 2 ** 53 - 1],
    bytes: le(8, [-(2n ** 53n) + 1n, -3n, 4n, 2n ** 53n - 1n], (d, o, v: bigint) => d.setBigInt64(o, v, true)),
  },
  // FP16 bit patterns of 1.0, -2.0, 0.5, 65504 (max half).
  { wire: 'FP16', onnx: 'float16', bytes: le(2, [0x3c00, 0xc000, 0x3800, 0x7bff], (d, o, v: number) => d.setUint16(o, v, true)) },
  { wire: 'FP32', onnx: 'float32', json: [1.5, -0.25, 3e38, 0], bytes: le(4, [1.5, -0.25, 3e38, 0], (d, o, v: number) => d.setFloat32(o, v, true)) },
  {
    wire: 'FP64',
    onnx: 'float64',
    json: [Math.PI, -1e300, 5e-324, 0],
    bytes: le(8, [Math.PI, -1e300, 5e-324, 0], (d, o, v: number) => d.setFloat64(o, v, true)),
  },
  { wire: 'BYTES', onnx: 'string', json: ['', 'a', 'héllo', 'x y z'], bytes: bytesElements(['', 'a', 'héllo', 'x y z']) },
];

const config = (wire: WireType) =>
  `max_batch_size: 0\ninput { name: "INPUT0" data_type: ${wire === 'BYTES' ? 'TYPE_STRING' : `TYPE_${wire}`} dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: ${wire === 'BYTES' ? 'TYPE_STRING' : `TYPE_${wire}`} dims: [ 4 ] }\nbackend: "onnxruntime"\n`;

let t: TestServer;
beforeAll(async () => {
  const files: Record<string, Uint8Array | string> = {};
  for (const c of CASES) {
    const name = `id_${c.wire.toLowerCase()}`;
    files[`${name}/config.pbtxt`] = config(c.wire);
    files[`${name}/1/model.onnx`] = identityModel(c.onnx, [4]);
  }
  t = await startServer({ repositories: [tmpTree(files)] });
});
afterAll(() => t.stop());

describe.each(CASES)('$wire', (c) => {
  const model = `/v2/models/id_${c.wire.toLowerCase()}`;

  it('reports its datatype in metadata', async () => {
    const meta = await (await t.request(model)).json();
    expect(meta.inputs).toEqual([{ name: 'INPUT0', datatype: c.wire, shape: [4] }]);
    expect(meta.outputs).toEqual([{ name: 'OUTPUT0', datatype: c.wire, shape: [4] }]);
  });

  it('round-trips in binary form', async () => {
    const { body, headers } = buildRequest([{ name: 'INPUT0', datatype: c.wire, shape: [4], bytes: c.bytes }], { parameters: { binary_data_output: true } });
    const res = await t.request(`${model}/infer`, { method: 'POST', body: body as BodyInit, headers });
    expect(res.status).toBe(200);
    const out = (await readResponse(res)).outputs.get('OUTPUT0')!;
    expect(out.datatype).toBe(c.wire);
    expect(out.shape).toEqual([4]);
    expect(out.bytes).toEqual(c.bytes);
  });

  if (c.json) {
    const json = c.json;
    it('round-trips in JSON form', async () => {
      const res = await t.request(`${model}/infer`, post({ inputs: [{ name: 'INPUT0', shape: [4], datatype: c.wire, data: json }] }));
      expect(res.status).toBe(200);
      const out = (await res.json()).outputs[0];
      expect(out).toEqual({ name: 'OUTPUT0', datatype: c.wire, shape: [4], data: c.wire === 'FP32' ? json.map((v) => Math.fround(v as number)) : json });
    });
  } else {
    it('refuses JSON input and JSON output, as Triton does', async () => {
      const res = await t.request(`${model}/infer`, post({ inputs: [{ name: 'INPUT0', shape: [4], datatype: c.wire, data: [1, 2, 3, 4] }] }));
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe(`receiving ${c.wire} data via JSON is not supported. Please use the binary data format for input INPUT0`);
      const { body, headers } = buildRequest([{ name: 'INPUT0', datatype: c.wire, shape: [4], bytes: c.bytes }]);
      const res2 = await t.request(`${model}/infer`, { method: 'POST', body: body as BodyInit, headers });
      expect(res2.status).toBe(400);
      expect((await res2.json()).error).toBe(`sending ${c.wire} data via JSON is not supported. Please use the binary data format for output`);
    });
  }
});

it('INT64 outputs beyond 2^53 are written exactly in JSON', async () => {
  const big = 2n ** 62n + 3n;
  const bytes = new Uint8Array(32);
  const dv = new DataView(bytes.buffer);
  [big, -big, 1n, 0n].forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  const { body, headers } = buildRequest([{ name: 'INPUT0', datatype: 'INT64', shape: [4], bytes }]);
  const res = await t.request('/v2/models/id_int64/infer', { method: 'POST', body: body as BodyInit, headers });
  const text = await res.text();
  expect(text).toContain(`"data":[${big},${-big},1,0]`);
});
