import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { collect, type Msg, param, paramValue, Status } from '../helpers/grpc.ts';
import { ADD_SUB_CONFIG, addSubRequest, type GrpcTestServer, raw, startGrpcServer, typed } from './server.ts';

/**
 * ModelStreamInfer: ordinary models answer once per request in request order; decoupled models
 * 0..N times, interleaved; every response carries triton_final_response; errors as error_message
 * (or the stream's status with `triton_grpc_error: true`); cancelling the stream cancels its requests.
 */
const WORKER = 'parameters { key: "execution_thread" value { string_value: "worker" } }';
/** Sleeps IN ms, answers OUT = IN and DONE = when it finished (ms since the epoch); 4 instances run at once. */
const DELAY_CONFIG = `backend: "js"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "DONE" data_type: TYPE_FP64 dims: [ 1 ] } ]
instance_group [ { count: 4 kind: KIND_CPU } ]
${WORKER}
`;
const DELAY_MODEL = `
export async function execute(requests) {
  return Promise.all(requests.map(async (r) => {
    const ms = r.inputs.IN.data[0];
    await new Promise((res) => setTimeout(res, ms));
    return { outputs: { OUT: { shape: [1], data: Int32Array.of(ms) }, DONE: { shape: [1], data: Float64Array.of(Date.now()) } } };
  }));
}`;
/** One instance that counts its executions: OUT = how many requests it has run, after sleeping IN ms. */
const COUNTER_CONFIG = `backend: "js"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
${WORKER}
`;
const COUNTER_MODEL = `
let runs = 0;
export async function execute(requests) {
  const out = [];
  for (const r of requests) {
    runs++;
    await new Promise((res) => setTimeout(res, r.inputs.IN.data[0]));
    out.push({ outputs: { OUT: { shape: [1], data: Int32Array.of(runs) } } });
  }
  return out;
}`;
/** Decoupled: IN = n sends n, ..., 1, then completes with the final flag alone (no last response). */
const FLAGS_CONFIG = `backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
`;
const FLAGS_MODEL = `
export function execute(requests) {
  for (const r of requests) void run(r);
}
async function run(r) {
  const s = r.responseSender;
  for (let i = r.inputs.IN.data[0]; i >= 1; i--) await s.send({ outputs: { OUT: { shape: [1], data: Int32Array.of(i) } } });
  await s.send(undefined, { final: true });
}`;
const countdown = (file: string) => readFileSync(new URL(`../../examples/models/countdown_js/${file}`, import.meta.url), 'utf8');

let t: GrpcTestServer;
beforeAll(async () => {
  t = await startGrpcServer({
    'add_sub/config.pbtxt': ADD_SUB_CONFIG,
    'add_sub/1/model.onnx': addSubModel(),
    'delay/config.pbtxt': DELAY_CONFIG,
    'delay/1/model.js': DELAY_MODEL,
    'counter/config.pbtxt': COUNTER_CONFIG,
    'counter/1/model.js': COUNTER_MODEL,
    'countdown_js/config.pbtxt': countdown('config.pbtxt'),
    'countdown_js/1/model.js': countdown('1/model.js'),
    'flags/config.pbtxt': FLAGS_CONFIG,
    'flags/1/model.js': FLAGS_MODEL,
  });
});
afterAll(() => t?.stop());

const int = (n: number) => raw(Int32Array.of(n));
const req = (model: string, id: string, n: number, extra: Msg = {}) => ({
  model_name: model,
  id,
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
  raw_input_contents: [int(n)],
  ...extra,
});
const out = (m: Msg, i = 0): number => typed(Int32Array, m.infer_response.raw_output_contents[i])[0]!;
const final = (m: Msg) => paramValue(m.infer_response.parameters.triton_final_response);

/** Sends `requests` on one stream, half-closes it and reads everything. */
async function stream(requests: Msg[], metadata?: Record<string, string>) {
  const call = t.client.stream({ metadata });
  const done = collect(call);
  for (const r of requests) call.write(r);
  call.end();
  return done;
}

describe('ordinary models', () => {
  it('one response per request, in request order, even when later requests finish first', async () => {
    const delays = [300, 10, 200, 0, 120, 5];
    const { messages, error } = await stream(delays.map((ms, i) => req('delay', `r${i}`, ms)));
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.infer_response.id)).toEqual(delays.map((_, i) => `r${i}`));
    expect(messages.map((m) => out(m))).toEqual(delays);
    expect(messages.every((m) => m.error_message === '' && final(m) === true)).toBe(true);
    // The requests really ran at once and finished out of order: the order above is the stream's doing.
    const done = messages.map((m) => typed(Float64Array, m.infer_response.raw_output_contents[1])[0]!);
    expect(done.some((d, i) => i > 0 && d < done[i - 1]!)).toBe(true);
  });

  it('any model on one stream: add_sub answers as over ModelInfer', async () => {
    const a = Float32Array.from({ length: 16 }, (_, i) => i);
    const b = Float32Array.from({ length: 16 }, () => 2);
    const { messages } = await stream([addSubRequest(a, b, { id: 'x' }), req('delay', 'y', 1)]);
    expect(messages.map((m) => m.infer_response.id)).toEqual(['x', 'y']);
    expect(Array.from(typed(Float32Array, messages[0]!.infer_response.raw_output_contents[0]))).toEqual(Array.from(a, (v) => v + 2));
  });

  it("a request's error arrives as error_message in its place and the stream goes on", async () => {
    const { messages, error } = await stream([
      req('delay', 'ok1', 50),
      req('nope', 'missing', 1),
      req('delay', 'bad', 1, { inputs: [{ name: 'IN', datatype: 'FP32', shape: [1] }] }),
      req('delay', 'ok2', 1),
    ]);
    expect(error).toBeUndefined();
    expect(messages.map((m) => [m.infer_response.id, m.error_message])).toEqual([
      ['ok1', ''],
      ['missing', "Request for unknown model: 'nope' is not found"],
      ['bad', "[request id: bad] inference input 'IN' data-type is 'FP32', but model 'delay' expects 'INT32'"],
      ['ok2', ''],
    ]);
  });

  it('with the header triton_grpc_error: true, an error ends the stream with its status', async () => {
    const { messages, error } = await stream([req('delay', 'ok', 1), req('nope', 'missing', 1), req('delay', 'never', 400)], { triton_grpc_error: 'true' });
    expect(error?.code).toBe(Status.NOT_FOUND);
    expect(error?.details).toBe("Request for unknown model: 'nope' is not found");
    expect(messages.map((m) => m.infer_response.id)).not.toContain('never');
  });
});

describe('decoupled models', () => {
  it('0..N responses per request, two requests interleaved, triton_final_response on each', async () => {
    const { messages, error } = await stream([req('countdown_js', 'a', 4), req('countdown_js', 'b', 3)]);
    expect(error).toBeUndefined();
    const of = (id: string) => messages.filter((m) => m.infer_response.id === id);
    expect(of('a').map((m) => out(m))).toEqual([4, 3, 2, 1, 0]);
    expect(of('b').map((m) => out(m))).toEqual([3, 2, 1, 0]);
    expect(of('a').map(final)).toEqual([false, false, false, false, true]);
    expect(of('b').map(final)).toEqual([false, false, false, true]);
    // Interleaved: b's first response came before a's last.
    const ids = messages.map((m) => m.infer_response.id);
    expect(ids.indexOf('b')).toBeLessThan(ids.lastIndexOf('a'));
    expect(messages[0]!.infer_response).toMatchObject({ model_name: 'countdown_js', model_version: '1' });
  });

  it('a request that ends with the final flag alone: an empty final response only with triton_enable_empty_final_response', async () => {
    const plain = await stream([req('flags', 'p', 2)]);
    expect(plain.messages.map((m) => [out(m), final(m)])).toEqual([
      [2, false],
      [1, false],
    ]);
    const empty = await stream([req('flags', 'e', 2, { parameters: { triton_enable_empty_final_response: param.bool(true) } })]);
    expect(empty.messages.map((m) => final(m))).toEqual([false, false, true]);
    const last = empty.messages.at(-1)!.infer_response;
    expect(last).toMatchObject({ id: 'e', model_name: 'flags', model_version: '1', outputs: [], raw_output_contents: [] });
    const wrong = await stream([req('flags', 'w', 1, { parameters: { triton_enable_empty_final_response: param.string('yes') } })]);
    expect(wrong.messages.map((m) => m.error_message)).toEqual(["invalid value type for 'triton_enable_empty_final_response' parameter, expected bool_param."]);
  });

  it('ModelInfer refuses decoupled models (UNIMPLEMENTED, as Triton)', async () => {
    const e = await t.client.fail('ModelInfer', req('countdown_js', 'u', 2));
    expect([e.code, e.details]).toEqual([Status.UNIMPLEMENTED, "ModelInfer RPC doesn't support models with decoupled transaction policy"]);
  });
});

describe('cancellation', () => {
  it('cancelling a stream cancels its requests: queued ones never run', async () => {
    const before = out({ infer_response: await t.client.call('ModelInfer', req('counter', 'c0', 0)) });
    const call = t.client.stream();
    const done = collect(call);
    for (let i = 0; i < 3; i++) call.write(req('counter', `s${i}`, 600));
    await new Promise((r) => setTimeout(r, 150));
    call.cancel();
    const { error } = await done;
    expect(error?.code).toBe(Status.CANCELLED);
    await new Promise((r) => setTimeout(r, 700));
    // The first was running when the stream went; the two queued behind it were dropped.
    const after = out({ infer_response: await t.client.call('ModelInfer', req('counter', 'c1', 0)) });
    expect(after - before).toBe(2);
  });

  it('a unary call past its deadline leaves the queue: it never runs', async () => {
    const before = out({ infer_response: await t.client.call('ModelInfer', req('counter', 'd0', 0)) });
    const running = t.client.call('ModelInfer', req('counter', 'd1', 600));
    await new Promise((r) => setTimeout(r, 50));
    const late = await t.client.fail('ModelInfer', req('counter', 'd2', 0), { deadlineMs: 150 });
    expect(late.code).toBe(Status.DEADLINE_EXCEEDED);
    await running;
    const after = out({ infer_response: await t.client.call('ModelInfer', req('counter', 'd3', 0)) });
    expect(after - before).toBe(2);
  });
});
