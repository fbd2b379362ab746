import { describe, expect, it } from 'vitest';
import type { BackendInstance, ExecOutcome, ExecRequest, ExecResult, ExecTiming } from '../../src/core/backend/backend.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { serverError } from '../../src/core/errors.ts';
import { ModelVersion } from '../../src/core/model/model-version.ts';
import { mergeInputs, splitOutputs, unionOutputs } from '../../src/core/scheduling/batch.ts';
import { create } from '@bufbuild/protobuf';
import { ModelDynamicBatchingSchema } from '../../src/core/config/gen/model_config_pb.ts';
import { DynamicBatcher } from '../../src/core/scheduling/dynamic-batcher.ts';
import { dynamicBatchingSpec } from '../../src/core/config/model-spec.ts';
import type { ScheduledResult, ScheduleItem } from '../../src/core/scheduling/scheduler.ts';
import { ModelStats } from '../../src/core/stats/model-stats.ts';
import type { Tensor } from '../../src/core/types.ts';
import { flush, ManualClock, rejected } from './helpers.ts';

/** Merges whatever is queued when an instance frees up: `dynamic_batching { }` defaults, or Triton's default scheduler. */
const instanceScheduler = (o: { instances: BackendInstance[]; clock: ManualClock; stats: ModelStats; maxBatchSize: number }) =>
  new DynamicBatcher({ ...o, batching: o.maxBatchSize > 1 ? dynamicBatchingSpec(create(ModelDynamicBatchingSchema)) : undefined });

const fp32 = (shape: number[], values: number[]): Tensor => ({ datatype: 'FP32', shape, data: Float32Array.from(values) });
const arr = (t: Tensor | undefined): unknown[] => Array.from((t?.data ?? []) as ArrayLike<unknown>);

describe('mergeInputs / splitOutputs / unionOutputs', () => {
  const req = (inputs: [string, Tensor][], outputs: string[]): ExecRequest => ({ inputs: new Map(inputs), outputs });

  it('returns the inputs of a single request unchanged', () => {
    const r = req([['x', fp32([1, 2], [1, 2])]], ['y']);
    expect(mergeInputs([r])).toBe(r.inputs);
  });

  it('concatenates along the batch dimension for numeric, BOOL and BYTES inputs', () => {
    const enc = new TextEncoder();
    const a = req(
      [
        ['x', fp32([1, 2], [1, 2])],
        ['z', { datatype: 'INT64', shape: [1, 1], data: new BigInt64Array([-1n]) }],
        ['b', { datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) }],
        ['s', { datatype: 'BYTES', shape: [1, 1], data: [enc.encode('p')] }],
      ],
      ['y'],
    );
    const b = req(
      [
        ['x', fp32([2, 2], [3, 4, 5, 6])],
        ['z', { datatype: 'INT64', shape: [2, 1], data: new BigInt64Array([9007199254740993n, 2n]) }],
        ['b', { datatype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) }],
        ['s', { datatype: 'BYTES', shape: [2, 1], data: [enc.encode('q'), enc.encode('rs')] }],
      ],
      ['y'],
    );
    const m = mergeInputs([a, b]);
    expect(m.get('x')?.shape).toEqual([3, 2]);
    expect(m.get('x')?.data).toBeInstanceOf(Float32Array);
    expect(arr(m.get('x'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.get('z')?.shape).toEqual([3, 1]);
    expect(arr(m.get('z'))).toEqual([-1n, 9007199254740993n, 2n]);
    expect(m.get('b')?.shape).toEqual([3]);
    expect(arr(m.get('b'))).toEqual([1, 0, 1]);
    expect(m.get('s')?.shape).toEqual([3, 1]);
    expect((m.get('s')!.data as Uint8Array[]).map((e) => new TextDecoder().decode(e))).toEqual(['p', 'q', 'rs']);
  });

  it('splits batched outputs back per request along the batch dimension', () => {
    const a = req([], ['y', 'w']);
    const b = req([], ['y']);
    const c = req([], ['y', 'w']);
    const outputs = new Map<string, Tensor>([
      ['y', fp32([4, 2], [1, 2, 3, 4, 5, 6, 7, 8])],
      ['w', { datatype: 'BYTES', shape: [4], data: ['a', 'b', 'c', 'd'].map((s) => new TextEncoder().encode(s)) }],
    ]);
    const [ra, rb, rc] = splitOutputs(outputs, [a, b, c], [1, 2, 1]);
    expect(ra?.outputs.get('y')?.shape).toEqual([1, 2]);
    expect(arr(ra?.outputs.get('y'))).toEqual([1, 2]);
    expect(rb?.outputs.get('y')?.shape).toEqual([2, 2]);
    expect(arr(rb?.outputs.get('y'))).toEqual([3, 4, 5, 6]);
    expect(rc?.outputs.get('y')?.shape).toEqual([1, 2]);
    expect(arr(rc?.outputs.get('y'))).toEqual([7, 8]);
    // Only requested outputs are handed back.
    expect([...(rb?.outputs.keys() ?? [])]).toEqual(['y']);
    expect((ra!.outputs.get('w')!.data as Uint8Array[]).map((e) => new TextDecoder().decode(e))).toEqual(['a']);
    expect((rc!.outputs.get('w')!.data as Uint8Array[]).map((e) => new TextDecoder().decode(e))).toEqual(['d']);
    expect(rc?.outputs.get('w')?.shape).toEqual([1]);
  });

  it('hands an output without a batch dimension to every request whole', () => {
    const outputs = new Map<string, Tensor>([['n', fp32([5], [1, 2, 3, 4, 5])]]);
    const res = splitOutputs(outputs, [req([], ['n']), req([], ['n'])], [1, 2]);
    expect(res.map((r) => [r.outputs.get('n')?.shape, arr(r.outputs.get('n'))])).toEqual([
      [[5], [1, 2, 3, 4, 5]],
      [[5], [1, 2, 3, 4, 5]],
    ]);
  });

  it('returns only the requested outputs for a single request', () => {
    const outputs = new Map<string, Tensor>([
      ['y', fp32([1], [1])],
      ['w', fp32([1], [2])],
    ]);
    const [r] = splitOutputs(outputs, [req([], ['w'])], [1]);
    expect([...(r?.outputs.keys() ?? [])]).toEqual(['w']);
  });

  it('unions requested outputs in first-seen order', () => {
    expect(unionOutputs([req([], ['b', 'a']), req([], ['c', 'a'])])).toEqual(['b', 'a', 'c']);
  });
});

/** One `execute` call the test can complete by hand. */
interface Call {
  requests: ExecRequest[];
  tags: string[];
  widths: number[];
  release(timing?: ExecTiming): void;
  fail(e: unknown): void;
  settled: boolean;
}

/**
 * A backend instance that records every batch and holds it until the test releases it.
 * Results are x * 2 per request, or an error for tags listed in `errors`. In `merged` mode it
 * behaves like a real batching backend: merge, compute once, split.
 */
class FakeInstance implements BackendInstance {
  readonly device = 'fake';
  readonly calls: Call[] = [];
  readonly errors = new Map<string, Error>();
  disposed = false;
  readonly merged: boolean;

  constructor(merged = false) {
    this.merged = merged;
  }

  execute(requests: ExecRequest[]): Promise<ExecOutcome> {
    return new Promise((resolve, reject) => {
      const call: Call = {
        requests,
        tags: requests.map((r) => String(r.parameters?.tag)),
        widths: requests.map((r) => r.inputs.get('x')!.shape[1]!),
        settled: false,
        release: (timing) => {
          call.settled = true;
          resolve({ results: this.compute(requests), ...(timing ? { timing } : {}) });
        },
        fail: (e) => {
          call.settled = true;
          reject(e);
        },
      };
      this.calls.push(call);
    });
  }

  private compute(requests: ExecRequest[]): (ExecResult | Error)[] {
    const double = (t: Tensor): Tensor => ({ datatype: 'FP32', shape: [...t.shape], data: Float32Array.from(t.data as Float32Array, (v) => v * 2) });
    if (this.merged) {
      const x = mergeInputs(requests).get('x')!;
      const sizes = requests.map((r) => r.inputs.get('x')!.shape[0]!);
      return splitOutputs(new Map([['y', double(x)]]), requests, sizes);
    }
    return requests.map((r) => this.errors.get(String(r.parameters?.tag)) ?? { outputs: new Map([['y', double(r.inputs.get('x')!)]]) });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  /** The oldest call not yet released. */
  get open(): Call {
    const c = this.calls.find((k) => !k.settled);
    if (!c) throw new Error('no open call');
    return c;
  }
}

function item(tag: string | undefined, rows: number[][], extra: Partial<ScheduleItem> = {}): ScheduleItem {
  const width = rows[0]?.length ?? 0;
  return {
    exec: { inputs: new Map([['x', fp32([rows.length, width], rows.flat())]]), outputs: ['y'], parameters: { tag: String(tag) } },
    batchSize: rows.length,
    ...(tag === undefined ? {} : { id: tag }),
    ...extra,
  };
}

function setup(maxBatchSize: number, opts: { instances?: number; merged?: boolean } = {}) {
  const clock = new ManualClock();
  const stats = new ModelStats();
  const instances = Array.from({ length: opts.instances ?? 1 }, () => new FakeInstance(opts.merged));
  const scheduler = instanceScheduler({ instances, clock, stats, maxBatchSize });
  return { clock, stats, instances, inst: instances[0]!, scheduler };
}

/** Releases open calls (in order) until none is left, letting the scheduler start the next ones. */
async function drain(inst: FakeInstance): Promise<void> {
  await flush();
  while (inst.calls.some((c) => !c.settled)) {
    inst.open.release();
    await flush();
  }
}

const y = (r: ScheduledResult) => {
  const t = r.result.outputs.get('y');
  return { shape: t?.shape, data: arr(t) };
};

describe('DynamicBatcher with dynamic_batching { } defaults', () => {
  it('runs a request at once on an idle instance and returns its result', async () => {
    const { scheduler, inst, stats } = setup(4);
    const p = scheduler.enqueue(item('A', [[1, 2]]));
    expect(inst.calls.map((c) => c.tags)).toEqual([['A']]);
    expect(scheduler.pending).toBe(1);
    expect(stats.pending).toBe(1);
    inst.open.release();
    expect(y(await p)).toEqual({ shape: [1, 2], data: [2, 4] });
    await flush();
    expect(scheduler.pending).toBe(0);
    expect(stats.pending).toBe(0);
  });

  it('merges requests queued while the instance is busy, up to maxBatchSize elements', async () => {
    const { scheduler, inst, stats } = setup(4);
    const pa = scheduler.enqueue(item('A', [[1, 1]]));
    const pb = scheduler.enqueue(item('B', [[2, 2]]));
    const pc = scheduler.enqueue(
      item('C', [
        [3, 3],
        [4, 4],
      ]),
    );
    const pd = scheduler.enqueue(item('D', [[5, 5]]));
    const pe = scheduler.enqueue(item('E', [[6, 6]]));
    expect(inst.calls.map((c) => c.tags)).toEqual([['A']]);
    expect(scheduler.pending).toBe(5);
    await drain(inst);
    // B(1) + C(2) + D(1) = 4 = maxBatchSize; E no longer fits.
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B', 'C', 'D'], ['E']]);
    expect(y(await pa)).toEqual({ shape: [1, 2], data: [2, 2] });
    expect(y(await pb)).toEqual({ shape: [1, 2], data: [4, 4] });
    expect(y(await pc)).toEqual({ shape: [2, 2], data: [6, 6, 8, 8] });
    expect(y(await pd)).toEqual({ shape: [1, 2], data: [10, 10] });
    expect(y(await pe)).toEqual({ shape: [1, 2], data: [12, 12] });
    expect(stats.executionCount).toBe(3);
    const j = stats.toJson('m', '1') as { execution_count: number; batch_stats: { batch_size: number; compute_infer: { count: number } }[] };
    expect(j.execution_count).toBe(3);
    expect(j.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([
      [1, 2],
      [4, 1],
    ]);
  });

  it('only merges requests whose non-batch shapes match', async () => {
    const { scheduler, inst } = setup(8);
    const ps = [
      scheduler.enqueue(item('A', [[1, 1, 1]])),
      scheduler.enqueue(item('B', [[1, 2, 3]])),
      scheduler.enqueue(item('C', [[1, 2, 3, 4]])),
      scheduler.enqueue(item('D', [[4, 5, 6]])),
      scheduler.enqueue(item('E', [[7, 8, 9, 10]])),
    ];
    await drain(inst);
    for (const c of inst.calls) expect(new Set(c.widths).size, c.tags.join()).toBe(1);
    const callOf = (tag: string) => inst.calls.findIndex((c) => c.tags.includes(tag));
    expect(callOf('B')).not.toBe(callOf('C'));
    expect(inst.calls.flatMap((c) => c.tags).sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    const results = await Promise.all(ps);
    expect(results.map(y)).toEqual([
      { shape: [1, 3], data: [2, 2, 2] },
      { shape: [1, 3], data: [2, 4, 6] },
      { shape: [1, 4], data: [2, 4, 6, 8] },
      { shape: [1, 3], data: [8, 10, 12] },
      { shape: [1, 4], data: [14, 16, 18, 20] },
    ]);
  });

  it.each([0, 1])('never merges with maxBatchSize %i', async (mbs) => {
    const { scheduler, inst } = setup(mbs);
    const ps = ['A', 'B', 'C'].map((t) => scheduler.enqueue(item(t, [[1]])));
    await drain(inst);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B'], ['C']]);
    await Promise.all(ps);
  });

  it('uses idle instances concurrently', async () => {
    const { scheduler, instances } = setup(4, { instances: 2 });
    const ps = ['A', 'B', 'C'].map((t) => scheduler.enqueue(item(t, [[1]])));
    expect(instances.map((i) => i.calls.map((c) => c.tags))).toEqual([[['A']], [['B']]]);
    instances[1]!.open.release();
    await flush();
    expect(instances[1]!.calls.map((c) => c.tags)).toEqual([['B'], ['C']]);
    instances[1]!.open.release();
    instances[0]!.open.release();
    await Promise.all(ps);
  });

  it('splits merged outputs back per request (batching backend)', async () => {
    const { scheduler, inst } = setup(8, { merged: true });
    const pa = scheduler.enqueue(item('A', [[0, 1]]));
    const pb = scheduler.enqueue(item('B', [[1, 2]]));
    const pc = scheduler.enqueue(
      item('C', [
        [3, 4],
        [5, 6],
      ]),
    );
    const pd = scheduler.enqueue(item('D', [[7, 8]]));
    await drain(inst);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B', 'C', 'D']]);
    expect(y(await pa)).toEqual({ shape: [1, 2], data: [0, 2] });
    expect(y(await pb)).toEqual({ shape: [1, 2], data: [2, 4] });
    expect(y(await pc)).toEqual({ shape: [2, 2], data: [6, 8, 10, 12] });
    expect(y(await pd)).toEqual({ shape: [1, 2], data: [14, 16] });
  });

  it('delivers a per-request error only to that request', async () => {
    const { scheduler, inst } = setup(4);
    inst.errors.set('B', serverError('INVALID_ARG', 'bad input for B'));
    inst.errors.set('D', new Error('plain failure'));
    const pa = scheduler.enqueue(item('A', [[1]]));
    const pb = scheduler.enqueue(item('B', [[2]]));
    const pc = scheduler.enqueue(item('C', [[3]]));
    const pd = scheduler.enqueue(item('D', [[4]]));
    const eb = rejected(pb);
    const ed = rejected(pd);
    await drain(inst);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B', 'C', 'D']]);
    expect(y(await pa).data).toEqual([2]);
    expect(await eb).toEqual({ code: 'INVALID_ARG', message: 'bad input for B' });
    expect(y(await pc).data).toEqual([6]);
    expect(await ed).toEqual({ code: 'INTERNAL', message: 'plain failure' });
  });

  it('rejects every request of a batch when execute throws, and keeps serving afterwards', async () => {
    const { scheduler, inst, stats } = setup(4);
    const pa = scheduler.enqueue(item('A', [[1]]));
    const eb = rejected(scheduler.enqueue(item('B', [[2]])));
    const ec = rejected(scheduler.enqueue(item('C', [[3]])));
    inst.open.release();
    await flush();
    expect(inst.calls[1]?.tags).toEqual(['B', 'C']);
    inst.open.fail(new Error('backend crashed'));
    expect(await eb).toEqual({ code: 'INTERNAL', message: 'backend crashed' });
    expect(await ec).toEqual({ code: 'INTERNAL', message: 'backend crashed' });
    await pa;
    await flush();
    expect(stats.pending).toBe(0);

    const pd = scheduler.enqueue(item('D', [[4]]));
    const ee = rejected(scheduler.enqueue(item('E', [[5]])));
    const pf = scheduler.enqueue(item('F', [[6]]));
    inst.open.release();
    await flush();
    expect(y(await pd).data).toEqual([8]);
    inst.open.fail(serverError('UNAVAILABLE', 'device lost'));
    expect(await ee).toEqual({ code: 'UNAVAILABLE', message: 'device lost' });
    expect(await rejected(pf)).toEqual({ code: 'UNAVAILABLE', message: 'device lost' });
  });

  it('stop() refuses new requests and resolves only after in-flight and queued work finished', async () => {
    const { scheduler, inst } = setup(1);
    const pa = scheduler.enqueue(item('A', [[1]]));
    const pb = scheduler.enqueue(item('B', [[2]]));
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    expect(await rejected(scheduler.enqueue(item('C', [[3]])))).toEqual({
      code: 'UNAVAILABLE',
      message: '[request id: C] Server is stopping, scheduler for model has stopped accepting new inference requests',
    });
    expect(await rejected(scheduler.enqueue(item(undefined, [[3]])))).toEqual({
      code: 'UNAVAILABLE',
      message: '[request id: <id_unknown>] Server is stopping, scheduler for model has stopped accepting new inference requests',
    });
    await flush();
    expect(stopped).toBe(false);
    inst.open.release();
    await flush();
    expect(stopped).toBe(false);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B']]);
    inst.open.release();
    await stopping;
    expect(stopped).toBe(true);
    expect(y(await pa).data).toEqual([2]);
    expect(y(await pb).data).toEqual([4]);
  });

  it('every concurrent stop() call resolves once the work is done', async () => {
    const { scheduler, inst } = setup(1);
    const pa = scheduler.enqueue(item('A', [[1]]));
    let first = false;
    let second = false;
    const s1 = scheduler.stop().then(() => {
      first = true;
    });
    const s2 = scheduler.stop().then(() => {
      second = true;
    });
    inst.open.release();
    await pa;
    await flush();
    await flush();
    expect(second).toBe(true);
    expect(first).toBe(true);
    await Promise.all([s1, s2]);
  });

  it('stop() resolves at once when idle', async () => {
    const { scheduler } = setup(4);
    await scheduler.stop();
    expect((await rejected(scheduler.enqueue(item('X', [[1]])))).code).toBe('UNAVAILABLE');
  });

  it('an aborted signal cancels a queued request with CANCELLED; it never executes', async () => {
    const { scheduler, inst, stats } = setup(4);
    const pa = scheduler.enqueue(item('A', [[1]]));
    const ac = new AbortController();
    const eb = rejected(scheduler.enqueue(item('B', [[2]], { signal: ac.signal })));
    const pc = scheduler.enqueue(item('C', [[3]]));
    expect(scheduler.pending).toBe(3);
    ac.abort();
    const e = await eb;
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toMatch(/^\[request id: B\] .*cancel/i);
    expect(scheduler.pending).toBe(2);
    expect(stats.pending).toBe(2);
    await drain(inst);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['C']]);
    await pa;
    expect(y(await pc).data).toEqual([6]);
    expect(stats.pending).toBe(0);
  });

  it('an already-aborted signal is rejected with CANCELLED without executing', async () => {
    const { scheduler, inst, stats } = setup(4);
    const ac = new AbortController();
    ac.abort();
    const e = await rejected(scheduler.enqueue(item('Z', [[1]], { signal: ac.signal })));
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toMatch(/^\[request id: Z\] /);
    expect(inst.calls).toEqual([]);
    expect(stats.pending).toBe(0);
    expect(scheduler.pending).toBe(0);
  });

  it('aborting a request that is already executing lets it finish', async () => {
    const { scheduler, inst } = setup(4);
    const ac = new AbortController();
    const pa = scheduler.enqueue(item('A', [[1]], { signal: ac.signal }));
    ac.abort();
    inst.open.release();
    expect(y(await pa).data).toEqual([2]);
  });

  it('stop() resolves once a cancelled request left the queue', async () => {
    const { scheduler, inst } = setup(1);
    const pa = scheduler.enqueue(item('A', [[1]]));
    const ac = new AbortController();
    const eb = rejected(scheduler.enqueue(item('B', [[2]], { signal: ac.signal })));
    const stopping = scheduler.stop();
    ac.abort();
    expect((await eb).code).toBe('CANCELLED');
    inst.open.release();
    await stopping;
    await pa;
    expect(inst.calls.map((c) => c.tags)).toEqual([['A']]);
  });

  it('measures queue and compute time with the injected clock', async () => {
    const { scheduler, inst, clock } = setup(1);
    const pa = scheduler.enqueue(item('A', [[1]])); // starts at t=0
    clock.advance(1);
    const pb = scheduler.enqueue(item('B', [[2]])); // queued at t=1
    clock.advance(4);
    inst.open.release(); // A ends at t=5, B starts at t=5
    const a = await pa;
    expect([a.queueNs, a.inputNs, a.inferNs, a.outputNs]).toEqual([0, 0, 5_000_000, 0]);
    await flush();
    clock.advance(7);
    inst.open.release({ inputNs: 10, inferNs: 20, outputNs: 30 }); // backend-reported timing wins
    const b = await pb;
    expect([b.queueNs, b.inputNs, b.inferNs, b.outputNs]).toEqual([4_000_000, 10, 20, 30]);
  });
});

describe('ModelVersion + DynamicBatcher statistics', () => {
  it('counts inference_count in batch elements and execution_count in executions', async () => {
    const config = parseConfigText(
      `name: "m" backend: "fake" max_batch_size: 8
       input { name: "x" data_type: TYPE_FP32 dims: [2] }
       output { name: "y" data_type: TYPE_FP32 dims: [2] }`,
      'config.pbtxt',
    );
    const clock = new ManualClock(1_700_000_000_000);
    const stats = new ModelStats();
    const inst = new FakeInstance();
    const scheduler = instanceScheduler({ instances: [inst], clock, stats, maxBatchSize: 8 });
    const mv = new ModelVersion({ id: { namespace: '', name: 'm' }, version: 1, config, labels: new Map(), instances: [inst], scheduler, stats, clock });
    const infer = (id: string, rows: number[][]) =>
      mv.infer({
        model: 'm',
        id,
        parameters: { tag: id },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) }],
      });

    const pa = infer('A', [[1, 2]]);
    const pb = infer('B', [
      [3, 4],
      [5, 6],
    ]);
    const pc = infer('C', [
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    await flush();
    clock.advance(3);
    await drain(inst);
    expect(inst.calls.map((c) => c.tags)).toEqual([['A'], ['B', 'C']]);
    const [a, b, c] = await Promise.all([pa, pb, pc]);
    expect(a.outputs.map((o) => [o.name, o.shape, arr(o)])).toEqual([['y', [1, 2], [2, 4]]]);
    expect(b.outputs.map((o) => [o.name, o.shape, arr(o)])).toEqual([['y', [2, 2], [6, 8, 10, 12]]]);
    expect(c.outputs.map((o) => [o.name, o.shape, arr(o)])).toEqual([['y', [3, 2], [14, 16, 18, 20, 22, 24]]]);
    expect(a.model_version).toBe('1');
    expect(a.id).toBe('A');

    const j = stats.toJson('m', '1') as {
      inference_count: number;
      execution_count: number;
      last_inference: number;
      inference_stats: Record<string, { count: number; ns: number }>;
      batch_stats: { batch_size: number; compute_infer: { count: number } }[];
    };
    expect(j.inference_count).toBe(1 + 2 + 3);
    expect(j.execution_count).toBe(2);
    expect(j.inference_stats.success?.count).toBe(3);
    expect(j.inference_stats.queue?.count).toBe(3);
    expect(j.inference_stats.compute_infer?.count).toBe(3);
    expect(j.inference_stats.fail?.count).toBe(0);
    expect(j.batch_stats.map((s) => [s.batch_size, s.compute_infer.count])).toEqual([
      [1, 1],
      [5, 1],
    ]);
    expect(j.last_inference).toBe(1_700_000_000_000 + 3);

    // A failed request counts as a failure, not as an inference.
    inst.errors.set('D', serverError('INVALID_ARG', 'nope'));
    const pd = rejected(infer('D', [[0, 0]]));
    await drain(inst);
    expect(await pd).toEqual({ code: 'INVALID_ARG', message: 'nope' });
    const k = stats.toJson('m', '1') as typeof j;
    expect(k.inference_count).toBe(6);
    expect(k.execution_count).toBe(3);
    expect(k.inference_stats.fail?.count).toBe(1);
    expect(k.inference_stats.success?.count).toBe(3);
  });
});
