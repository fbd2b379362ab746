import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulatorModel, addSubModel, classifierModel, classifierWeights } from '../../src/tools/onnx/models.ts';
import { bytesElements } from '../helpers/kserve.ts';
import { type Msg, param, paramValue, Status } from '../helpers/grpc.ts';
import { ADD_SUB_CONFIG, addSubRequest, type GrpcTestServer, raw, startGrpcServer, typed } from './server.ts';

/**
 * ModelInfer: every datatype in raw_input_contents (what Triton's clients send) and in typed
 * contents, outputs in raw_output_contents, request parameters of each type, classification,
 * id and parameter echo. Expected values are computed here.
 */
const TYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES'] as const;
type Dt = (typeof TYPES)[number];
const CONFIG_TYPE = (t: Dt) => (t === 'BYTES' ? 'TYPE_STRING' : `TYPE_${t}`);

/** A JavaScript model with an optional input IN_<T> and an output OUT_<T> per datatype: one step of arithmetic each. */
const ALL_TYPES_CONFIG = `backend: "js"
max_batch_size: 0
input [ ${TYPES.map((t) => `{ name: "IN_${t}" data_type: ${CONFIG_TYPE(t)} dims: [ -1 ] optional: true }`).join(', ')} ]
output [ ${TYPES.map((t) => `{ name: "OUT_${t}" data_type: ${CONFIG_TYPE(t)} dims: [ -1 ] }`).join(', ')} ]
`;
const ALL_TYPES_MODEL = `
const step = {
  BOOL: (d) => d.map((v) => 1 - v),
  FP16: (d) => d.map((v) => v ^ 0x8000), // the sign bit: -x
  BF16: (d) => d.map((v) => v ^ 0x8000),
  FP32: (d) => d.map((v) => v * 2),
  FP64: (d) => d.map((v) => v * 2),
  INT64: (d) => d.map((v) => v + 1n),
  UINT64: (d) => d.map((v) => v + 1n),
  BYTES: (d) => d.map((v) => Uint8Array.from(v).reverse()),
};
export function execute(requests) {
  return requests.map((r) => {
    const outputs = {};
    for (const [name, t] of Object.entries(r.inputs)) {
      const f = step[t.datatype] ?? ((d) => d.map((v) => v + 1));
      outputs[name.replace('IN_', 'OUT_')] = { shape: t.shape, data: f(t.data) };
    }
    return { outputs, parameters: { seen: JSON.stringify(r.parameters), half: 0.5, count: 3, flag: true } };
  });
}`;

const SEQUENCE_CONFIG = `max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
sequence_batching {
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_INT32 dims: [ 1 ] initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "zeros" } } ]
}
`;

let t: GrpcTestServer;
beforeAll(async () => {
  t = await startGrpcServer({
    'add_sub/config.pbtxt': ADD_SUB_CONFIG,
    'add_sub/1/model.onnx': addSubModel(),
    'all_types/config.pbtxt': ALL_TYPES_CONFIG,
    'all_types/1/model.js': ALL_TYPES_MODEL,
    'classifier/config.pbtxt':
      'max_batch_size: 8\ninput { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 5 ] label_filename: "labels.txt" }\n',
    'classifier/labels.txt': 'cat\ndog\nbird\nfish\nhorse\n',
    'classifier/1/model.onnx': classifierModel(),
    'accumulate/config.pbtxt': SEQUENCE_CONFIG,
    'accumulate/1/model.onnx': accumulatorModel(),
  });
});
afterAll(() => t?.stop());

const A = Float32Array.from({ length: 16 }, (_, i) => i * 0.5);
const B = Float32Array.from({ length: 16 }, (_, i) => 3 - i);
const enc = new TextEncoder();

/** Inputs of each datatype (3 elements) and what the model must answer, computed independently. */
const CASES: Record<Dt, { input: ArrayBufferView | string[]; expected: unknown[]; read: (b: Buffer) => unknown[] }> = {
  BOOL: { input: Uint8Array.of(1, 0, 1), expected: [0, 1, 0], read: (b) => Array.from(b) },
  UINT8: { input: Uint8Array.of(0, 7, 255), expected: [1, 8, 0], read: (b) => Array.from(b) },
  UINT16: { input: Uint16Array.of(0, 300, 65535), expected: [1, 301, 0], read: (b) => Array.from(typed(Uint16Array, b)) },
  UINT32: { input: Uint32Array.of(0, 70000, 4294967295), expected: [1, 70001, 0], read: (b) => Array.from(typed(Uint32Array, b)) },
  UINT64: {
    input: BigUint64Array.of(0n, 2n ** 53n + 1n, 2n ** 64n - 1n),
    expected: [1n, 2n ** 53n + 2n, 0n],
    read: (b) => Array.from(typed(BigUint64Array, b)),
  },
  INT8: { input: Int8Array.of(-128, -1, 127), expected: [-127, 0, -128], read: (b) => Array.from(typed(Int8Array, b)) },
  INT16: { input: Int16Array.of(-300, 0, 32767), expected: [-299, 1, -32768], read: (b) => Array.from(typed(Int16Array, b)) },
  INT32: { input: Int32Array.of(-5, 0, 2147483647), expected: [-4, 1, -2147483648], read: (b) => Array.from(typed(Int32Array, b)) },
  INT64: {
    input: BigInt64Array.of(-(2n ** 60n), -1n, 2n ** 62n),
    expected: [-(2n ** 60n) + 1n, 0n, 2n ** 62n + 1n],
    read: (b) => Array.from(typed(BigInt64Array, b)),
  },
  // FP16 1.0 = 0x3c00, 2.5 = 0x4100, -0.5 = 0xb800; BF16 1.0 = 0x3f80, 3.0 = 0x4040, -2.0 = 0xc000
  FP16: { input: Uint16Array.of(0x3c00, 0x4100, 0xb800), expected: [0xbc00, 0xc100, 0x3800], read: (b) => Array.from(typed(Uint16Array, b)) },
  BF16: { input: Uint16Array.of(0x3f80, 0x4040, 0xc000), expected: [0xbf80, 0xc040, 0x4000], read: (b) => Array.from(typed(Uint16Array, b)) },
  FP32: { input: Float32Array.of(1.5, -2.25, 1e30), expected: [3, -4.5, Math.fround(2e30)], read: (b) => Array.from(typed(Float32Array, b)) },
  FP64: { input: Float64Array.of(0.1, -1e300, 3), expected: [0.2, -2e300, 6], read: (b) => Array.from(typed(Float64Array, b)) },
  BYTES: { input: ['abc', '', 'héllo'], expected: ['cba', '', 'olléh'], read: (b) => readBytes(b) },
};

/** BYTES elements from raw output contents: each a 4-byte little-endian length, then the bytes. */
function readBytes(b: Buffer): string[] {
  const out: string[] = [];
  for (let off = 0; off < b.length; ) {
    const n = b.readUInt32LE(off);
    out.push(
      Buffer.from(b.subarray(off + 4, off + 4 + n))
        .reverse()
        .toString('utf8')
        .split('')
        .reverse()
        .join(''),
    );
    off += 4 + n;
  }
  return out;
}

function rawInput(dt: Dt): Buffer {
  const input = CASES[dt].input;
  return Array.isArray(input) ? Buffer.from(bytesElements(input)) : raw(input);
}

describe('datatypes', () => {
  it.each(TYPES)('%s in raw_input_contents, out in raw_output_contents', async (dt) => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'all_types',
      inputs: [{ name: `IN_${dt}`, datatype: dt, shape: [3] }],
      outputs: [{ name: `OUT_${dt}` }],
      raw_input_contents: [rawInput(dt)],
    });
    expect(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([[`OUT_${dt}`, dt, [3]]]);
    expect(res.raw_output_contents).toHaveLength(1);
    expect(CASES[dt].read(res.raw_output_contents[0])).toEqual(CASES[dt].expected);
  });

  it('all datatypes in one request: one raw output entry per output, in order', async () => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'all_types',
      inputs: TYPES.map((dt) => ({ name: `IN_${dt}`, datatype: dt, shape: [3] })),
      outputs: [...TYPES].reverse().map((dt) => ({ name: `OUT_${dt}` })),
      raw_input_contents: TYPES.map(rawInput),
    });
    expect(res.outputs.map((o: Msg) => o.name)).toEqual([...TYPES].reverse().map((dt) => `OUT_${dt}`));
    res.outputs.forEach((o: Msg, i: number) =>
      expect(CASES[o.datatype as Dt].read(res.raw_output_contents[i]), o.name).toEqual(CASES[o.datatype as Dt].expected),
    );
  });

  /** Typed contents: every datatype that has a field (FP16 and BF16 have none: raw only, as in Triton). */
  const CONTENTS: [Dt, Msg][] = [
    ['BOOL', { bool_contents: [true, false, true] }],
    ['UINT8', { uint_contents: [0, 7, 255] }],
    ['UINT16', { uint_contents: [0, 300, 65535] }],
    ['UINT32', { uint_contents: [0, 70000, 4294967295] }],
    ['UINT64', { uint64_contents: ['0', String(2n ** 53n + 1n), String(2n ** 64n - 1n)] }],
    ['INT8', { int_contents: [-128, -1, 127] }],
    ['INT16', { int_contents: [-300, 0, 32767] }],
    ['INT32', { int_contents: [-5, 0, 2147483647] }],
    ['INT64', { int64_contents: [String(-(2n ** 60n)), '-1', String(2n ** 62n)] }],
    ['FP32', { fp32_contents: [1.5, -2.25, 1e30] }],
    ['FP64', { fp64_contents: [0.1, -1e300, 3] }],
    ['BYTES', { bytes_contents: ['abc', '', 'héllo'].map((s) => Buffer.from(enc.encode(s))) }],
  ];
  it.each(CONTENTS)('%s in typed contents', async (dt, contents) => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'all_types',
      inputs: [{ name: `IN_${dt}`, datatype: dt, shape: [3], contents }],
      outputs: [{ name: `OUT_${dt}` }],
    });
    expect(CASES[dt].read(res.raw_output_contents[0])).toEqual(CASES[dt].expected);
  });

  it("mistakes in tensor data get Triton's messages (INVALID_ARGUMENT)", async () => {
    const cases: [Msg, string][] = [
      [
        { inputs: [{ name: 'IN_INT32', datatype: 'INT32', shape: [3], contents: { int_contents: [1, 2, 3] } }], raw_input_contents: [rawInput('INT32')] },
        "contents field must not be specified when using raw_input_contents for 'IN_INT32' for model 'all_types'",
      ],
      [
        { inputs: [{ name: 'IN_INT32', datatype: 'INT32', shape: [3], contents: { fp32_contents: [1, 2, 3] } }] },
        "unexpected explicit tensor data for input tensor 'IN_INT32' for model 'all_types' of type 'FP32', expected datatype 'INT32'",
      ],
      [
        { inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1, 2, 3], fp64_contents: [1] } }] },
        "unexpected explicit tensor data for input tensor 'IN_FP32' for model 'all_types', binary data was already supplied.",
      ],
      [{ inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [3] }] }, "unable to find data for input tensor 'IN_FP32' for model 'all_types' in request."],
      [
        { inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [4] }], raw_input_contents: [rawInput('FP32')] },
        "input byte size mismatch for input 'IN_FP32' for model 'all_types'. Expected 16, got 12",
      ],
      [
        { inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1, 2] } }] },
        "input byte size mismatch for input 'IN_FP32' for model 'all_types'. Expected 12, got 8",
      ],
      [
        { inputs: [{ name: 'IN_BYTES', datatype: 'BYTES', shape: [2] }], raw_input_contents: [rawInput('BYTES')] },
        "expected 2 string elements for inference input 'IN_BYTES' for model 'all_types', got more",
      ],
      [{ inputs: [{ name: 'IN_FP32', datatype: 'FLOAT', shape: [3] }], raw_input_contents: [rawInput('FP32')] }, 'invalid datatype for input IN_FP32'],
      [
        { inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [-1] }], raw_input_contents: [rawInput('FP32')] },
        "All input dimensions should be specified for input 'IN_FP32' for model 'all_types', got [-1]",
      ],
      [
        { inputs: [{ name: 'IN_FP32', datatype: 'FP32', shape: [3] }], raw_input_contents: [rawInput('FP32'), rawInput('FP32')] },
        "unexpected additional input data for model 'all_types'",
      ],
      [
        { inputs: [{ name: 'IN_INT32', datatype: 'FP32', shape: [3] }], raw_input_contents: [rawInput('FP32')] },
        "[request id: <id_unknown>] inference input 'IN_INT32' data-type is 'FP32', but model 'all_types' expects 'INT32'",
      ],
      [{ model_version: 'v1', inputs: [] }, "failed to get model version from specified version string 'v1' (use empty string for latest version)"],
    ];
    for (const [req, message] of cases) {
      const e = await t.client.fail('ModelInfer', { model_name: 'all_types', ...req });
      expect([e.code, e.details], message).toEqual([Status.INVALID_ARGUMENT, message]);
    }
  });
});

describe('add_sub over gRPC, as over HTTP', () => {
  it('outputs, the id and the version that served', async () => {
    const res = await t.client.call('ModelInfer', addSubRequest(A, B, { id: 'req-1' }));
    expect([res.id, res.model_name, res.model_version]).toEqual(['req-1', 'add_sub', '1']);
    expect(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([
      ['OUTPUT0', 'FP32', [1, 16]],
      ['OUTPUT1', 'FP32', [1, 16]],
    ]);
    expect(Array.from(typed(Float32Array, res.raw_output_contents[0]))).toEqual(Array.from(A, (a, i) => a + B[i]!));
    expect(Array.from(typed(Float32Array, res.raw_output_contents[1]))).toEqual(Array.from(A, (a, i) => a - B[i]!));
    const one = await t.client.call('ModelInfer', addSubRequest(A, B, { outputs: [{ name: 'OUTPUT1' }] }));
    expect(one.outputs.map((o: Msg) => o.name)).toEqual(['OUTPUT1']);
    expect(one.id).toBe('');
  });

  it('an unknown model is NOT_FOUND; an unknown output INVALID_ARGUMENT, with the messages HTTP gives', async () => {
    const e = await t.client.fail('ModelInfer', addSubRequest(A, B, { model_name: 'nope' }));
    expect([e.code, e.details]).toEqual([Status.NOT_FOUND, "Request for unknown model: 'nope' is not found"]);
    const out = await t.client.fail('ModelInfer', addSubRequest(A, B, { outputs: [{ name: 'OUTPUT9' }] }));
    expect(out.code).toBe(Status.INVALID_ARGUMENT);
    expect(out.details).toMatch(/unexpected inference output 'OUTPUT9' for model 'add_sub'/);
  });
});

describe('parameters', () => {
  it('custom parameters of each type reach the model and come back in their own types', async () => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'all_types',
      parameters: { s: param.string('x'), i: param.int64(-7), u: param.uint64(9), d: param.double(0.25), b: param.bool(true) },
      inputs: [{ name: 'IN_INT32', datatype: 'INT32', shape: [3] }],
      outputs: [{ name: 'OUT_INT32' }],
      raw_input_contents: [rawInput('INT32')],
    });
    expect(JSON.parse(paramValue(res.parameters.seen) as string)).toEqual({ s: 'x', i: -7, u: 9, d: 0.25, b: true });
    expect(res.parameters.s).toMatchObject({ string_param: 'x' });
    expect(res.parameters.i).toMatchObject({ int64_param: '-7' });
    expect(res.parameters.u).toMatchObject({ uint64_param: '9' });
    expect(res.parameters.d).toMatchObject({ double_param: 0.25 });
    expect(res.parameters.b).toMatchObject({ bool_param: true });
    // The model's own: typed by value.
    expect(res.parameters.half).toMatchObject({ double_param: 0.5 });
    expect(res.parameters.count).toMatchObject({ int64_param: '3' });
    expect(res.parameters.flag).toMatchObject({ bool_param: true });
  });

  it("Triton's reserved parameters are typed fields, never the model's parameters", async () => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'all_types',
      parameters: { priority: param.uint64(1), timeout: param.int64(1_000_000), mine: param.string('kept') },
      inputs: [{ name: 'IN_INT32', datatype: 'INT32', shape: [3] }],
      outputs: [{ name: 'OUT_INT32' }],
      raw_input_contents: [rawInput('INT32')],
    });
    expect(JSON.parse(paramValue(res.parameters.seen) as string)).toEqual({ mine: 'kept' });
  });

  it('sequence_id as int64 and as string, sequence_start/end as bool: a sequence accumulates', async () => {
    const int = (n: number) => raw(Int32Array.of(n));
    const step = async (id: Msg, value: number, start: boolean, end: boolean) => {
      const res = await t.client.call('ModelInfer', {
        model_name: 'accumulate',
        parameters: { sequence_id: id, sequence_start: param.bool(start), sequence_end: param.bool(end) },
        inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
        raw_input_contents: [int(value)],
      });
      return typed(Int32Array, res.raw_output_contents[0])[0];
    };
    expect(await step(param.int64(42), 5, true, false)).toBe(5);
    expect(await step(param.string('text-id'), 100, true, false)).toBe(100);
    expect(await step(param.int64(42), 7, false, false)).toBe(12);
    expect(await step(param.string('text-id'), 1, false, true)).toBe(101);
    expect(await step(param.int64(42), 3, false, true)).toBe(15);
  });

  it('wrong types for reserved parameters and reserved triton_ keys are INVALID_ARGUMENT', async () => {
    const req = (parameters: Msg) => ({
      model_name: 'all_types',
      parameters,
      inputs: [{ name: 'IN_INT32', datatype: 'INT32', shape: [3] }],
      raw_input_contents: [rawInput('INT32')],
    });
    const cases: [Msg, string][] = [
      [{ sequence_id: param.bool(true) }, "invalid value type for 'sequence_id' parameter, expected int64_param or string_param."],
      [{ sequence_start: param.int64(1) }, "invalid value type for 'sequence_start' parameter, expected bool_param."],
      [{ priority: param.string('high') }, "invalid value type for 'priority' parameter, expected int64_param or uint64_param."],
      [{ priority: param.int64(-1) }, "invalid value for 'priority', expected value >= 0."],
      [{ timeout: param.double(1.5) }, "invalid value type for 'timeout' parameter, expected int64_param."],
      [
        { triton_secret: param.bool(true) },
        "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys starting with 'triton_' are allowed: triton_enable_empty_final_response",
      ],
      [{ headers: param.string('x') }, "parameter 'headers' is reserved and cannot be set in a request"],
    ];
    for (const [parameters, message] of cases) {
      const e = await t.client.fail('ModelInfer', req(parameters));
      expect([e.code, e.details], message).toEqual([Status.INVALID_ARGUMENT, message]);
    }
  });
});

describe('classification', () => {
  const x = [1, 0, -1, 2];
  const { w, b } = classifierWeights();
  const logits = Array.from({ length: 5 }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i * 5 + j]!, b[j]!));
  const exp = logits.map((l) => Math.exp(l - Math.max(...logits)));
  const probs = exp.map((e) => e / exp.reduce((s, v) => s + v, 0));
  const labels = ['cat', 'dog', 'bird', 'fish', 'horse'];
  const ranked = probs.map((p, j) => ({ p, j })).sort((p, q) => q.p - p.p);

  it.each([
    ['int64_param', param.int64(2)],
    ['uint64_param', param.uint64(2)],
  ])('the output parameter classification (%s) answers the top K as BYTES "value:index:label"', async (_, k) => {
    const res = await t.client.call('ModelInfer', {
      model_name: 'classifier',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4] }],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: k } }],
      raw_input_contents: [raw(Float32Array.from(x))],
    });
    expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: 'BYTES' });
    expect(res.outputs[0].shape.map(Number)).toEqual([1, 2]);
    const got = readBytes(res.raw_output_contents[0]).map((s) => s.split(':'));
    expect(got.map((g) => [Number(g[1]), g[2]])).toEqual(ranked.slice(0, 2).map((r) => [r.j, labels[r.j]]));
    got.forEach((g, i) => expect(Math.abs(Number(g[0]) - ranked[i]!.p)).toBeLessThan(1e-5));
  });
});
