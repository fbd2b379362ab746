import type { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { BackendInstance, ExecOutcome, ExecRequest } from '../../src/core/backend/backend.ts';
import type { ModelSequenceBatchingSchema } from '../../src/core/config/gen/model_config_pb.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { ScheduledResult, ScheduleItem } from '../../src/core/scheduling/scheduler.ts';
import { SequenceBatcher } from '../../src/core/scheduling/sequence-batcher.ts';
import { stateSpecs } from '../../src/core/scheduling/sequence-controls.ts';
import { ModelStats } from '../../src/core/stats/model-stats.ts';
import type { Tensor } from '../../src/core/types.ts';
import { flush, ManualClock, rejected } from './helpers.ts';

/**
 * The sequence batcher on a manual clock with a fake stateful model:
 * OUT = (START ? 0 : STATE_IN) + IN; STATE_OUT = OUT. The instance records every batch.
 */
const CONFIG = (maxBatch: number, extra = '') => `name: "seq"
max_batch_size: ${maxBatch}
input { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] }
output { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }
sequence_batching {
  max_sequence_idle_microseconds: 5000
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
    { name: "END" control [ { kind: CONTROL_SEQUENCE_END fp32_false_true: [ 0, 1 ] } ] },
    { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
  ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
  ${extra}
}`;

interface Seen {
  corrid: bigint;
  start: number;
  end: number;
  ready: number;
  input: number;
  state: number;
}

class StatefulInstance implements BackendInstance {
  readonly device = 'fake';
  readonly batches: Seen[][] = [];
  private releases: (() => void)[] = [];
  auto = true;

  execute(requests: ExecRequest[]): Promise<ExecOutcome> {
    const seen = requests.map((r) => ({
      corrid: (r.inputs.get('CORRID')!.data as BigUint64Array)[0]!,
      start: (r.inputs.get('START')!.data as Int32Array)[0]!,
      end: (r.inputs.get('END')!.data as Float32Array)[0]!,
      ready: (r.inputs.get('READY')!.data as Uint8Array)[0]!,
      input: (r.inputs.get('IN')!.data as Int32Array)[0]!,
      state: (r.inputs.get('STATE_IN')!.data as Int32Array)[0]!,
    }));
    this.batches.push(seen);
    const results = seen.map((s, i) => {
      const out: Tensor = { datatype: 'INT32', shape: requests[i]!.inputs.get('IN')!.shape, data: Int32Array.of((s.start ? 0 : s.state) + s.input) };
      return {
        outputs: new Map([
          ['OUT', out],
          ['STATE_OUT', out],
        ]),
      };
    });
    if (this.auto) return Promise.resolve({ results });
    return new Promise((resolve) => this.releases.push(() => resolve({ results })));
  }

  release(): void {
    this.releases.shift()?.();
  }

  async dispose(): Promise<void> {}
}

function setup(maxBatch: number, instances = 1, extra = '') {
  const config = parseConfigText(CONFIG(maxBatch, extra));
  const sequence = config.schedulingChoice.value as ReturnType<typeof create<typeof ModelSequenceBatchingSchema>>;
  const clock = new ManualClock();
  const stats = new ModelStats();
  const insts = Array.from({ length: instances }, () => new StatefulInstance());
  const batcher = new SequenceBatcher({ config, sequence, instances: insts, clock, stats, log: silentLogger, states: stateSpecs(sequence) });
  return { clock, stats, insts, inst: insts[0]!, batcher };
}

function req(id: number | string, value: number, flags: { start?: boolean; end?: boolean } = {}, extra: Partial<ScheduleItem> = {}, batch = 1): ScheduleItem {
  return {
    exec: {
      inputs: new Map([['IN', { datatype: 'INT32', shape: batch > 1 ? [batch, 1] : [1, 1], data: new Int32Array(batch).fill(value) }]]),
      outputs: ['OUT'],
    },
    batchSize: batch,
    id: `${id}:${value}`,
    sequence: { id, start: flags.start ?? false, end: flags.end ?? false },
    ...extra,
  };
}

const out = (r: ScheduledResult) => (r.result.outputs.get('OUT')!.data as Int32Array)[0];

describe('SequenceBatcher', () => {
  it('rejects what Triton rejects, with its messages', async () => {
    const { batcher } = setup(4);
    expect(await rejected(batcher.enqueue(req(1, 1, { start: true }, {}, 2)))).toEqual({
      code: 'INVALID_ARG',
      message: "inference request to model 'seq' must specify batch-size 1 due to requirements of sequence batcher",
    });
    expect(await rejected(batcher.enqueue(req(0, 1, { start: true })))).toEqual({
      code: 'INVALID_ARG',
      message: "inference request to model 'seq' must specify a non-zero or non-empty correlation ID",
    });
    expect(await rejected(batcher.enqueue(req('', 1, { start: true })))).toEqual({
      code: 'INVALID_ARG',
      message: "inference request to model 'seq' must specify a non-zero or non-empty correlation ID",
    });
    expect(await rejected(batcher.enqueue(req(1001, 1)))).toEqual({
      code: 'INVALID_ARG',
      message: "inference request for sequence 1001 to model 'seq' must specify the START flag on the first request of the sequence",
    });
    expect((await rejected(batcher.enqueue(req('x'.repeat(129), 1, { start: true })))).code).toBe('UNSUPPORTED');
    expect((await rejected(batcher.enqueue(req('abc', 1, { start: true })))).message).toBe(
      "sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq' expects 'UINT64'",
    );
  });

  it('feeds control tensors and carries implicit state through a sequence', async () => {
    const { inst, batcher } = setup(0);
    const r1 = await batcher.enqueue(req(42, 5, { start: true }));
    const r2 = await batcher.enqueue(req(42, 7));
    const r3 = await batcher.enqueue(req(42, -2, { end: true }));
    expect([out(r1), out(r2), out(r3)]).toEqual([5, 12, 10]);
    expect(inst.batches.flat()).toEqual([
      { corrid: 42n, start: 1, end: 0, ready: 1, input: 5, state: 0 },
      { corrid: 42n, start: 0, end: 0, ready: 1, input: 7, state: 5 },
      { corrid: 42n, start: 0, end: 1, ready: 1, input: -2, state: 12 },
    ]);
    expect(await rejected(batcher.enqueue(req(42, 1)))).toMatchObject({ message: expect.stringContaining('must specify the START flag') });
    const again = await batcher.enqueue(req(42, 3, { start: true }));
    expect(out(again)).toBe(3);
  });

  it('runs one sequence in order and never two of its requests at once', async () => {
    const { inst, batcher } = setup(4);
    inst.auto = false;
    const results = [batcher.enqueue(req(7, 1, { start: true })), batcher.enqueue(req(7, 2)), batcher.enqueue(req(7, 3, { end: true }))];
    await flush();
    expect(inst.batches).toEqual([[expect.objectContaining({ input: 1 })]]);
    inst.release();
    await flush();
    expect(inst.batches.length).toBe(2);
    expect(inst.batches[1]).toEqual([expect.objectContaining({ input: 2, state: 1 })]);
    inst.release();
    await flush();
    inst.release();
    expect((await Promise.all(results)).map(out)).toEqual([1, 3, 6]);
  });

  it('batches requests of different sequences, one per slot', async () => {
    const { inst, batcher } = setup(4);
    inst.auto = false;
    const a = batcher.enqueue(req(1, 10, { start: true }));
    await flush();
    const more = [batcher.enqueue(req(2, 20, { start: true })), batcher.enqueue(req(3, 30, { start: true })), batcher.enqueue(req(1, 1))];
    inst.release();
    await flush();
    expect(inst.batches[1]!.map((s) => s.corrid).sort()).toEqual([1n, 2n, 3n]);
    inst.release();
    await a;
    expect((await Promise.all(more)).map(out)).toEqual([20, 30, 11]);
  });

  it('assigns the lowest free slot across instances, backlogs the rest FIFO, and hands a freed slot to the oldest backlogged sequence', async () => {
    const { insts, batcher } = setup(0, 2);
    for (const i of insts) i.auto = false;
    const a = batcher.enqueue(req(1, 1, { start: true, end: true }));
    const b = batcher.enqueue(req(2, 2, { start: true }));
    const c = batcher.enqueue(req(3, 3, { start: true }));
    const d = batcher.enqueue(req(4, 4, { start: true }));
    await flush();
    expect(insts.map((i) => i.batches.map((bt) => bt[0]!.corrid))).toEqual([[1n], [2n]]);
    insts[0]!.release();
    await flush();
    expect(insts[0]!.batches.map((bt) => bt[0]!.corrid)).toEqual([1n, 3n]);
    insts[0]!.release();
    insts[1]!.release();
    await Promise.all([a, b, c]);
    const e = batcher.enqueue(req(2, 5, { end: true }));
    await flush();
    insts[1]!.release();
    expect(out(await e)).toBe(7);
    await flush();
    insts[1]!.release();
    expect(out(await d)).toBe(4);
  });

  it('reaps a sequence idle longer than max_sequence_idle_microseconds and frees its slot', async () => {
    const { clock, inst, batcher } = setup(0);
    await batcher.enqueue(req(1, 1, { start: true }));
    const waiting = batcher.enqueue(req(2, 2, { start: true }));
    await flush();
    expect(inst.batches.length).toBe(1);
    clock.advance(4.9);
    await flush();
    expect(inst.batches.length).toBe(1);
    clock.advance(0.2);
    await flush();
    expect(out(await waiting)).toBe(2);
    expect(await rejected(batcher.enqueue(req(1, 1)))).toMatchObject({ code: 'INVALID_ARG', message: expect.stringContaining('sequence 1 to model') });
  });

  it('fails a backlogged sequence whose timeout expires with 503', async () => {
    const { clock, batcher } = setup(0);
    await batcher.enqueue(req(1, 1, { start: true }));
    const late = batcher.enqueue(req(2, 2, { start: true }, { timeoutUs: 1000 }));
    clock.advance(1);
    expect(await rejected(late)).toEqual({ code: 'UNAVAILABLE', message: '[request id: 2:2] timeout of the corresponding sequence has been expired' });
  });

  it('while stopping refuses new sequences but finishes running ones', async () => {
    const { inst, batcher } = setup(0);
    inst.auto = false;
    const first = batcher.enqueue(req(9, 1, { start: true }));
    await flush();
    const stopped = batcher.stop();
    expect(await rejected(batcher.enqueue(req(10, 1, { start: true })))).toEqual({
      code: 'UNAVAILABLE',
      message: 'Server is stopping, scheduler for model has stopped accepting new inference requests',
    });
    const cont = batcher.enqueue(req(9, 2, { end: true }));
    inst.release();
    await flush();
    inst.release();
    expect((await Promise.all([first, cont])).map(out)).toEqual([1, 3]);
    await stopped;
  });

  it('a waiting request whose client went away leaves its sequence; an ended sequence frees its slot', async () => {
    const { inst, batcher, stats } = setup(0);
    inst.auto = false;
    const abort = new AbortController();
    const first = batcher.enqueue(req(5, 1, { start: true }));
    const gone = batcher.enqueue(req(5, 2, { end: true }, { signal: abort.signal }));
    // Another sequence waits in the backlog for the only slot.
    const other = batcher.enqueue(req(6, 10, { start: true, end: true }));
    await flush();
    expect(stats.pending).toBe(3);
    abort.abort();
    expect(await rejected(gone)).toEqual({ code: 'CANCELLED', message: '[request id: 5:2] request cancelled' });
    expect(stats.pending).toBe(2);
    inst.release();
    await flush();
    inst.release();
    expect(out(await first)).toBe(1);
    expect(out(await other)).toBe(10);
    // The cancelled END request never ran; sequence 5 ended and gave its slot to sequence 6.
    expect(inst.batches.flat().map((s) => [s.corrid, s.input])).toEqual([
      [5n, 1],
      [6n, 10],
    ]);
    expect(stats.pending).toBe(0);
    expect(await rejected(batcher.enqueue(req(5, 3)))).toMatchObject({ code: 'INVALID_ARG' });
  });

  it('a request already cancelled is refused without running', async () => {
    const { inst, batcher } = setup(0);
    const abort = new AbortController();
    abort.abort();
    expect((await rejected(batcher.enqueue(req(8, 1, { start: true }, { signal: abort.signal })))).code).toBe('CANCELLED');
    expect(inst.batches).toEqual([]);
  });

  it('oldest strategy: any instance serves the oldest ready sequences', async () => {
    const { insts, batcher } = setup(2, 2, 'oldest { max_candidate_sequences: 4 }');
    const rs = [batcher.enqueue(req(1, 1, { start: true })), batcher.enqueue(req(2, 2, { start: true })), batcher.enqueue(req(3, 3, { start: true }))];
    expect((await Promise.all(rs)).map(out)).toEqual([1, 2, 3]);
    expect(insts.flatMap((i) => i.batches.flat().map((s) => s.corrid)).sort()).toEqual([1n, 2n, 3n]);
  });
});

describe('correlation ids beyond 2^53', () => {
  it('are kept exact from the JSON request to the CORRID control', async () => {
    const { decodeInferRequest } = await import('../../src/core/codec/kserve-request.ts');
    const body = new TextEncoder().encode(
      '{"parameters":{"sequence_id":18446744073709551615,"sequence_start":true},"inputs":[{"name":"IN","shape":[1,1],"datatype":"INT32","data":[1]}]}',
    );
    const r = decodeInferRequest(body, { model: 'seq' });
    expect(r.sequence?.id).toBe(18446744073709551615n);
    const { inst, batcher } = setup(0);
    await batcher.enqueue(req(18446744073709551615n as unknown as number, 1, { start: true }));
    expect(inst.batches[0]![0]!.corrid).toBe(18446744073709551615n);
  });
});
