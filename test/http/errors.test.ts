import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { buildRequest } from '../helpers/kserve.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Each error path of the protocol notes, with Triton's status code and message (400 where Triton says 500 for client mistakes). */
const ADD_SUB = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

let t: TestServer;
const MAX = 64 * 1024;
beforeAll(async () => {
  const repo = tmpTree({
    'add_sub/config.pbtxt': ADD_SUB,
    'add_sub/1/model.onnx': addSubModel(),
    'nobatch/config.pbtxt': 'input { name: "INPUT0" data_type: TYPE_INT32 dims: [ -1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ -1 ] }\n',
    'nobatch/1/model.onnx': identityModel('int32', ['n']),
  });
  t = await startServer({ repositories: [repo] }, { maxInputSize: MAX });
});
afterAll(() => t.stop());

const ones = Array.from({ length: 16 }, () => 1);
const inputs = (over: Record<string, unknown> = {}) => [
  { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: ones, ...over },
  { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: ones },
];

async function expectError(res: Response | Promise<Response>, status: number, message: string | RegExp) {
  const r = await res;
  const body = await r.json();
  expect({ status: r.status, error: body.error }).toEqual({ status, error: typeof message === 'string' ? message : expect.stringMatching(message) });
}

const infer = (body: unknown, headers?: Record<string, string>, model = 'add_sub') => t.request(`/v2/models/${model}/infer`, post(body, headers));
const ID = '[request id: <id_unknown>] ';

describe('routing', () => {
  it('unknown paths are 404 Not Found, wrong methods 405', async () => {
    await expectError(t.request('/v2/nothing'), 404, 'Not Found');
    await expectError(t.request('/v2/'), 404, 'Not Found');
    await expectError(t.request('/v2/models/add_sub/versions/abc'), 404, 'Not Found');
    await expectError(t.request('/v2/models/add_sub/bogus'), 404, 'Not Found');
    await expectError(t.request('/v2/models/add_sub/infer'), 405, 'Method Not Allowed');
    await expectError(t.request('/v2/models/add_sub', { method: 'POST' }), 405, 'Method Not Allowed');
    await expectError(t.request('/v2/health/live', { method: 'POST' }), 405, 'Method Not Allowed');
    await expectError(t.request('/v2/repository/index'), 405, 'Method Not Allowed');
  });

  it('model lookup errors', async () => {
    await expectError(t.request('/v2/models/nope'), 404, "Request for unknown model: 'nope' is not found");
    await expectError(t.request('/v2/models/add_sub/versions/7'), 404, "Request for unknown model: 'add_sub' version 7 is not found");
    await expectError(t.request('/v2/models/add_sub/versions/0/ready'), 404, "Request for unknown model: 'add_sub' version 0 is not found");
    await expectError(infer({ inputs: inputs() }, {}, 'nope'), 404, "Request for unknown model: 'nope' is not found");
    await expectError(t.request('/v2/models/nope/stats'), 400, "requested model 'nope' is not available");
    await expectError(t.request('/v2/models/add_sub/versions/3/stats'), 400, "requested model version is not available for model 'add_sub'");
  });
});

describe('request body', () => {
  it('malformed JSON and wrong JSON types are 400', async () => {
    await expectError(infer('{"inputs": ['), 400, /^failed to parse the request JSON buffer: /);
    await expectError(infer('[1,2]'), 400, /^failed to parse the request JSON buffer/);
    await expectError(infer({ id: 5, inputs: inputs() }), 400, "Unable to parse 'id': attempt to access JSON non-string as string");
    await expectError(infer({}), 400, "attempt to access non-existing object member 'inputs'");
    await expectError(infer({ inputs: {} }), 400, "Unable to parse 'inputs': attempt to access JSON non-array as array");
    await expectError(
      infer({ inputs: inputs({ shape: [1, -16] }) }),
      400,
      "Unable to parse 'shape' of input 'INPUT0': attempt to access JSON non-unsigned-integer as unsigned-integer",
    );
    await expectError(infer({ inputs: inputs({ shape: [1, 1.5] }) }), 400, /non-unsigned-integer/);
    await expectError(infer({ inputs: inputs({ datatype: 'FLOAT' }) }), 400, 'invalid datatype for input INPUT0');
    await expectError(
      infer({ inputs: inputs({ data: ones.map(() => 'x') }) }),
      400,
      "Unable to parse 'data': attempt to access JSON non-number as number for input 'INPUT0'",
    );
  });

  it('data that does not match the shape is 400 naming the input', async () => {
    await expectError(
      infer({ inputs: inputs({ data: ones.slice(1) }) }),
      400,
      /^Failed to parse 'data' field: shape does not match true shape for input 'INPUT0'/,
    );
    await expectError(
      infer({ inputs: inputs({ data: [...ones, 1] }) }),
      400,
      /^Unable to parse 'data': Shape does not match true shape of 'data' field for input 'INPUT0'/,
    );
  });

  it('exactly one of data / binary_data_size / shared_memory_region', async () => {
    const { data: _d, ...noData } = inputs()[0]!;
    await expectError(
      infer({ inputs: [noData, inputs()[1]] }),
      400,
      "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But no field is set",
    );
    await expectError(
      infer({ inputs: inputs({ parameters: { binary_data_size: 64 } }) }),
      400,
      "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But set 'data' 'binary_data_size'",
    );
  });

  it('a shape whose element count overflows is refused before allocating', async () => {
    await expectError(
      infer({ inputs: inputs({ shape: [4294967296, 4294967296, 16] }) }),
      400,
      "invalid shape for input 'INPUT0': shape [4294967296,4294967296,16] causes total element count to exceed maximum size of 9223372036854775807",
    );
  });

  it('binary sections shorter or longer than declared', async () => {
    const bytes = new Uint8Array(64);
    const short = buildRequest([
      { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], bytes },
      { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], bytes },
    ]);
    const truncated = short.body.slice(0, short.body.length - 10);
    await expectError(
      t.request('/v2/models/add_sub/infer', { method: 'POST', body: truncated, headers: short.headers }),
      400,
      "unexpected size for input 'INPUT1', expecting 10 additional bytes for model 'add_sub'",
    );
    const long = new Uint8Array(short.body.length + 3);
    long.set(short.body);
    await expectError(
      t.request('/v2/models/add_sub/infer', { method: 'POST', body: long, headers: short.headers }),
      400,
      "unexpected additional input data for model 'add_sub'",
    );
    const wrong = buildRequest([
      { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], bytes: new Uint8Array(60) },
      { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], bytes },
    ]);
    await expectError(
      t.request('/v2/models/add_sub/infer', { method: 'POST', body: wrong.body, headers: wrong.headers }),
      400,
      "input byte size mismatch for input 'INPUT0' for model 'add_sub'. Expected 64, got 60",
    );
  });

  it('bogus Inference-Header-Content-Length', async () => {
    const body = JSON.stringify({ inputs: inputs() });
    await expectError(infer(body, { 'inference-header-content-length': 'abc' }), 400, 'Unable to parse Inference-Header-Content-Length, got: abc');
    await expectError(infer(body, { 'inference-header-content-length': '-4' }), 400, `inference header size should be in range (0, ${body.length}), got: -4`);
    await expectError(
      infer(body, { 'inference-header-content-length': String(body.length + 1) }),
      400,
      `inference header size should be in range (0, ${body.length}), got: ${body.length + 1}`,
    );
  });

  it('a body over --http-max-input-size is refused, declared or streamed', async () => {
    const big = new Uint8Array(MAX + 1);
    await expectError(
      infer(big, { 'content-length': String(big.length) }),
      400,
      `request JSON size of ${MAX + 1} bytes exceeds the maximum allowed input size of ${MAX} bytes. Use --http-max-input-size to increase the limit.`,
    );
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(MAX / 8));
        c.close();
      },
    });
    const res = await t.request('/v2/models/add_sub/infer', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/exceeds the maximum allowed input size of 65536 bytes/);
  });

  it('unsupported content encoding is 501 with Accept-Encoding', async () => {
    const res = await infer(JSON.stringify({ inputs: inputs() }), { 'content-encoding': 'br' });
    expect(res.status).toBe(501);
    expect(res.headers.get('accept-encoding')).toBe('gzip, deflate');
    expect((await res.json()).error).toBe('Unsupported compression type');
  });

  it('parameters', async () => {
    await expectError(
      infer({ parameters: { triton_x: 1 }, inputs: inputs() }),
      400,
      "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
    );
    await expectError(
      infer({ parameters: { x: [1] }, inputs: inputs() }),
      400,
      "parameter 'x' has invalid type. It should be either 'int', 'bool', or 'string'.",
    );
    await expectError(
      infer({ parameters: { binary_data_output: 'yes' }, inputs: inputs() }),
      400,
      "Unable to parse 'binary_data_output': attempt to access JSON non-boolean as boolean",
    );
  });
});

describe('model validation', () => {
  it('inputs and outputs must match the model', async () => {
    await expectError(
      infer({ inputs: [...inputs(), { name: 'EXTRA', shape: [1], datatype: 'FP32', data: [1] }] }),
      400,
      `${ID}unexpected inference input 'EXTRA' for model 'add_sub'`,
    );
    await expectError(
      infer({ inputs: inputs().slice(0, 1) }),
      400,
      `${ID}expected 2 inputs but got 1 inputs for model 'add_sub'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).`,
    );
    await expectError(
      infer({ inputs: inputs({ datatype: 'INT32' }) }),
      400,
      `${ID}inference input 'INPUT0' data-type is 'INT32', but model 'add_sub' expects 'FP32'`,
    );
    await expectError(
      infer({ id: 'r9', inputs: inputs({ shape: [1, 4, 4] }) }),
      400,
      /^\[request id: r9\] unexpected shape for input 'INPUT0' for model 'add_sub'\. Expected \[-1,16\], got \[1,4,4\]\. NOTE: Setting a non-zero max_batch_size/,
    );
    await expectError(
      infer({ inputs: inputs({ shape: [1, 15], data: ones.slice(1) }) }),
      400,
      `${ID}unexpected shape for input 'INPUT0' for model 'add_sub'. Expected [-1,16], got [1,15]. NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.`,
    );
    const nine = Array.from({ length: 9 * 16 }, () => 0);
    await expectError(
      infer({
        inputs: [
          { name: 'INPUT0', shape: [9, 16], datatype: 'FP32', data: nine },
          { name: 'INPUT1', shape: [9, 16], datatype: 'FP32', data: nine },
        ],
      }),
      400,
      `${ID}inference request batch-size must be <= 8 for 'add_sub'`,
    );
    await expectError(
      infer({ inputs: [inputs()[0], { name: 'INPUT1', shape: [2, 16], datatype: 'FP32', data: [...ones, ...ones] }] }),
      400,
      `${ID}input 'INPUT1' batch size does not match other inputs for 'add_sub'`,
    );
    await expectError(infer({ inputs: inputs(), outputs: [{ name: 'NOPE' }] }), 400, `${ID}unexpected inference output 'NOPE' for model 'add_sub'`);
    await expectError(
      infer(
        { inputs: [{ name: 'INPUT0', shape: [3], datatype: 'INT32', data: [1, 2, 3] }], outputs: [{ name: 'OUTPUT0', parameters: { classification: 'x' } }] },
        {},
        'nobatch',
      ),
      400,
      "Unable to parse 'classification': attempt to access JSON non-unsigned-integer as unsigned-integer",
    );
  });
});

describe('repository API outside EXPLICIT mode', () => {
  it("load and unload answer 503 with Triton's message", async () => {
    await expectError(
      t.request('/v2/repository/models/add_sub/load', { method: 'POST' }),
      503,
      'explicit model load / unload is not allowed if polling is enabled',
    );
    await expectError(
      t.request('/v2/repository/models/add_sub/unload', { method: 'POST' }),
      503,
      'explicit model load / unload is not allowed if polling is enabled',
    );
    await expectError(t.request('/v2/repository/r/models/add_sub/load', { method: 'POST' }), 501, "'repository_name' specification is not supported");
    await expectError(t.request('/v2/repository/index', post({ ready: 'yes' })), 400, "Invalid value for 'ready': expected a boolean");
  });
});
