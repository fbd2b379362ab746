import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/tools/onnx/builder.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Triton's generate extension: POST .../generate (one JSON response) and .../generate_stream
 * (server-sent events, `data: <json>` per response), with its mapping of JSON keys to input
 * tensors and of outputs and parameters back.
 */
const ADD_SUB = `max_batch_size: 0
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 4 ] } ]`;

/** A text model: PROMPT (BYTES [-1]) → TEXT_OUTPUT, the prompt with its words reversed, and LENGTH (INT32 [1]). */
const ECHO = `export function execute(requests) {
  return requests.map((r) => {
    const words = r.inputs.PROMPT.data.map((b) => new TextDecoder().decode(b));
    const text = words.slice().reverse().join(' ') + (r.inputs.SUFFIX ? new TextDecoder().decode(r.inputs.SUFFIX.data[0]) : '');
    return { outputs: { TEXT_OUTPUT: { shape: [1], data: [text] }, LENGTH: { shape: [1], data: Int32Array.of(words.length) } }, parameters: { echoed: true } };
  });
}`;
const ECHO_CONFIG = `backend: "js"
max_batch_size: 0
input [ { name: "PROMPT" data_type: TYPE_STRING dims: [ -1 ] }, { name: "SUFFIX" data_type: TYPE_STRING dims: [ 1 ] optional: true } ]
output [ { name: "TEXT_OUTPUT" data_type: TYPE_STRING dims: [ 1 ] }, { name: "LENGTH" data_type: TYPE_INT32 dims: [ 1 ] } ]`;

/** A decoupled model: N → N responses "tok0".."tok{N-1}", then a final with no response; N < 0 fails after one response. */
const TOKENS = `export function execute(requests) { for (const r of requests) void run(r); }
async function run(r) {
  const s = r.responseSender;
  const n = r.inputs.N.data[0];
  if (n < 0) { await s.send({ outputs: { TOKEN: { shape: [1], data: ['first'] } } }); return s.send({ error: 'ran out of tokens' }, { final: true }); }
  for (let i = 0; i < n; i++) await s.send({ outputs: { TOKEN: { shape: [1], data: ['tok' + i] } } });
  await s.send(undefined, { final: true });
}`;
const TOKENS_CONFIG = `backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "N" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "TOKEN" data_type: TYPE_STRING dims: [ 1 ] } ]`;

/** A batching model with a fixed inner shape: X [-1, 2, -1] INT32 → Y = X (for the shape rule). */
function identity3(): Uint8Array {
  const g = new GraphBuilder('identity3');
  g.input('X', 'int32', ['batch', 2, 'n']);
  g.node('Identity', ['X'], ['Y']);
  g.output('Y', 'int32', ['batch', 2, 'n']);
  return g.toBytes();
}

let t: TestServer;
beforeAll(async () => {
  const repo = tmpTree({
    'add_sub/config.pbtxt': ADD_SUB,
    'add_sub/1/model.onnx': addSubModel({ type: 'float32', dims: [4] }),
    'echo/config.pbtxt': ECHO_CONFIG,
    'echo/1/model.js': ECHO,
    'tokens/config.pbtxt': TOKENS_CONFIG,
    'tokens/1/model.js': TOKENS,
    'ident/config.pbtxt':
      'max_batch_size: 4\ninput [ { name: "X" data_type: TYPE_INT32 dims: [ 2, -1 ] } ]\noutput [ { name: "Y" data_type: TYPE_INT32 dims: [ 2, -1 ] } ]',
    'ident/1/model.onnx': identity3(),
  });
  t = await startServer({ repositories: [repo] });
});
afterAll(() => t.stop());

/** The events of an SSE body: each must be exactly `data: <json>\n\n`. */
function events(text: string): unknown[] {
  expect(text.endsWith('\n\n') || text === '').toBe(true);
  return text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      expect(e.startsWith('data: ')).toBe(true);
      expect(e.includes('\n')).toBe(false);
      return JSON.parse(e.slice('data: '.length));
    });
}

describe('POST .../generate', () => {
  it('maps top-level keys to inputs by name and writes outputs by name (one element: a scalar)', async () => {
    const res = await t.request('/v2/models/echo/generate', post({ id: 'g1', PROMPT: ['world', 'hello'], temperature: 0.5 }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({
      id: 'g1',
      model_name: 'echo',
      model_version: '1',
      TEXT_OUTPUT: 'hello world',
      LENGTH: 2,
      temperature: 0.5,
      echoed: true,
    });
  });

  it('keys inside parameters name inputs too; a scalar is one element; other keys are parameters', async () => {
    const res = await t.request('/v2/models/echo/generate', post({ PROMPT: 'solo', parameters: { SUFFIX: '!', stream: false } }));
    expect(await res.json()).toEqual({ model_name: 'echo', model_version: '1', TEXT_OUTPUT: 'solo!', LENGTH: 1, stream: false, echoed: true });
  });

  it('numbers: fixed dims divide the count, the innermost -1 takes the rest, other -1s become 1', async () => {
    const res = await t.request('/v2/models/add_sub/generate', post({ INPUT0: [1, 2, 3, 4], INPUT1: [10, 20, 30, 40] }));
    expect(await res.json()).toEqual({ model_name: 'add_sub', model_version: '1', OUTPUT0: [11, 22, 33, 44], OUTPUT1: [-9, -18, -27, -36] });
    const ident = await (await t.request('/v2/models/ident/generate', post({ X: [1, 2, 3, 4, 5, 6] }))).json();
    expect(ident.Y).toEqual([1, 2, 3, 4, 5, 6]);
    const bad = await t.request('/v2/models/ident/generate', post({ X: [1, 2, 3] }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe("The schema can not convert input 'X' to tensor with proper shape");
    const wrongCount = await t.request('/v2/models/add_sub/generate', post({ INPUT0: [1, 2, 3], INPUT1: [1, 2, 3, 4] }));
    expect(wrongCount.status).toBe(400);
  });

  it("errors are Triton's: unknown model 404, bad JSON 400, a missing input 400", async () => {
    expect((await t.request('/v2/models/nope/generate', post({ PROMPT: 'x' }))).status).toBe(404);
    expect((await t.request('/v2/models/echo/generate', post('{not json'))).status).toBe(400);
    const missing = await t.request('/v2/models/add_sub/generate', post({ INPUT0: [1, 2, 3, 4] }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toMatch(/missing required input\(s\) \['INPUT1'\]/);
  });

  it('a decoupled model that sends one response answers; one that sends several is told to use generate_stream', async () => {
    expect(await (await t.request('/v2/models/tokens/generate', post({ N: 1 }))).json()).toEqual({ model_name: 'tokens', model_version: '1', TOKEN: 'tok0' });
    const many = await t.request('/v2/models/tokens/generate', post({ N: 3 }));
    expect(many.status).toBe(400);
    expect((await many.json()).error).toMatch(/generate_stream/);
  });
});

describe('POST .../generate_stream', () => {
  it('one event per response, in order, as server-sent events', async () => {
    const res = await t.request('/v2/models/tokens/generate_stream', post({ N: 3 }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(events(await res.text())).toEqual(['tok0', 'tok1', 'tok2'].map((TOKEN) => ({ model_name: 'tokens', model_version: '1', TOKEN })));
  });

  it('an ordinary model gives one event; a decoupled one with no responses gives an empty body', async () => {
    expect(events(await (await t.request('/v2/models/echo/generate_stream', post({ PROMPT: ['a', 'b'] }))).text())).toEqual([
      { model_name: 'echo', model_version: '1', TEXT_OUTPUT: 'b a', LENGTH: 2, echoed: true },
    ]);
    const none = await t.request('/v2/models/tokens/generate_stream', post({ N: 0 }));
    expect(none.status).toBe(200);
    expect(await none.text()).toBe('');
  });

  it('an error after the stream started is an event; an error before it is an ordinary JSON error', async () => {
    const mid = await t.request('/v2/models/tokens/generate_stream', post({ N: -1 }));
    expect(mid.status).toBe(200);
    expect(events(await mid.text())).toEqual([
      { model_name: 'tokens', model_version: '1', TOKEN: 'first' },
      { error: "model 'tokens' failed: ran out of tokens" },
    ]);
    const before = await t.request('/v2/models/tokens/generate_stream', post({ N: 'three' }));
    expect(before.status).toBe(400);
    expect(before.headers.get('content-type')).toMatch(/application\/json/);
  });
});
