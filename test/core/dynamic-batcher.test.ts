import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { dynamicBatchingSpec } from '../../src/core/config/model-spec.ts';
import { describe, expect, it } from 'vitest';
import type { BackendInstance, ExecOutcome, ExecRequest } from '../../src/core/backend/backend.ts';
import { ModelDynamicBatchingSchema, ModelQueuePolicySchema, ModelQueuePolicy_TimeoutAction } from '../../src/core/config/gen/model_config_pb.ts';
import { DynamicBatcher } from '../../src/core/scheduling/dynamic-batcher.ts';
import type { ScheduledResult, ScheduleItem } from '../../src/core/scheduling/scheduler.ts';
import { ModelStats } from '../../src/core/stats/model-stats.ts';
import { flush, ManualClock, rejected } from './helpers.ts';

/**
 * The dynamic batcher on a manual clock: batch formation under preferred sizes and delays,
 * priorities, queue limits and timeouts, preserve_ordering. The fake instance records each batch
 * (request tags) and only finishes when the test releases it.
 */
class HeldInstance implements BackendInstance {
  readonly device = 'fake';
  readonly batches: string[][] = [];
  private releases: (() => void)[] = [];

  execute(requests: ExecRequest[]): Promise<ExecOutcome> {
    this.batches.push(requests.map((r) => String(r.parameters?.tag)));
    return new Promise((resolve) => {
      this.releases.push(() =>
        resolve({ results: requests.map((r) => ({ outputs: new Map([['y', r.inputs.get('x')!]]), parameters: { tag: String(r.parameters?.tag) } })) }),
      );
    });
  }

  release(): void {
    this.releases.shift()?.();
  }

  get busy(): number {
    return this.releases.length;
  }

  async dispose(): Promise<void> {}
}

function req(tag: string, rows = 1, extra: Partial<ScheduleItem> = {}, width = 2): ScheduleItem {
  return {
    exec: { inputs: new Map([['x', { datatype: 'FP32', shape: [rows, width], data: new Float32Array(rows * width) }]]), outputs: ['y'], parameters: { tag } },
    batchSize: rows,
    id: tag,
    ...extra,
  };
}

function setup(batching: MessageInitShape<typeof ModelDynamicBatchingSchema> | undefined, opts: { maxBatchSize?: number; instances?: number } = {}) {
  const clock = new ManualClock();
  const stats = new ModelStats();
  const instances = Array.from({ length: opts.instances ?? 1 }, () => new HeldInstance());
  const db = batching ? create(ModelDynamicBatchingSchema, batching) : undefined;
  const batcher = new DynamicBatcher({ instances, clock, stats, maxBatchSize: opts.maxBatchSize ?? 8, batching: db && dynamicBatchingSpec(db) });
  return { clock, stats, inst: instances[0]!, instances, batcher };
}

const tagOf = (r: ScheduledResult) => r.result.parameters?.tag;

describe('DynamicBatcher: batch formation', () => {
  it('with defaults, sends whatever is queued when the instance frees up, up to max_batch_size', async () => {
    const { inst, batcher } = setup({}, { maxBatchSize: 4 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((t) => batcher.enqueue(req(t)));
    await flush();
    expect(inst.batches).toEqual([['a']]);
    inst.release();
    await flush();
    expect(inst.batches[1]).toEqual(['b', 'c', 'd', 'e']);
    inst.release();
    await flush();
    expect(inst.batches[2]).toEqual(['f']);
    inst.release();
    expect((await Promise.all(all)).map(tagOf)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('preferred [4, 8] with queued sizes 3, 3, 3 sends a batch of 6 (the largest preferred size saturates)', async () => {
    const { inst, batcher } = setup({ preferredBatchSize: [4, 8], maxQueueDelayMicroseconds: 1_000_000n }, { maxBatchSize: 16 });
    const blocker = batcher.enqueue(req('blocker', 4));
    await flush();
    const three = ['p', 'q', 'r'].map((t) => batcher.enqueue(req(t, 3)));
    inst.release();
    await flush();
    expect(inst.batches[1]).toEqual(['p', 'q']);
    inst.release();
    await flush();
    await blocker;
    expect((await Promise.all(three.slice(0, 2))).map(tagOf)).toEqual(['p', 'q']);
  });

  it('sends exactly the longest preferred prefix while the oldest request is within the delay', async () => {
    const { inst, batcher } = setup({ preferredBatchSize: [2, 4], maxQueueDelayMicroseconds: 500n }, { maxBatchSize: 8 });
    const blocker = batcher.enqueue(req('blocker', 2));
    await flush();
    for (const t of ['a', 'b', 'c', 'd', 'e']) void batcher.enqueue(req(t));
    inst.release();
    await flush();
    expect(inst.batches[1]).toEqual(['a', 'b', 'c', 'd']);
    await blocker;
  });

  it('waits up to max_queue_delay_microseconds for a preferred size, then sends what it has', async () => {
    const { clock, inst, batcher } = setup({ preferredBatchSize: [4], maxQueueDelayMicroseconds: 1000n }, { maxBatchSize: 8 });
    void batcher.enqueue(req('a'));
    void batcher.enqueue(req('b'));
    await flush();
    expect(inst.batches).toEqual([]);
    clock.advance(0.5);
    await flush();
    expect(inst.batches).toEqual([]);
    void batcher.enqueue(req('c'));
    void batcher.enqueue(req('d'));
    await flush();
    expect(inst.batches).toEqual([['a', 'b', 'c', 'd']]);
    inst.release();
    void batcher.enqueue(req('e'));
    await flush();
    expect(inst.batches.length).toBe(1);
    clock.advance(0.999);
    await flush();
    expect(inst.batches.length).toBe(1);
    clock.advance(0.001);
    await flush();
    expect(inst.batches[1]).toEqual(['e']);
  });

  it('does not merge requests whose variable dimensions differ', async () => {
    const { inst, batcher } = setup({}, { maxBatchSize: 8 });
    void batcher.enqueue(req('blocker'));
    await flush();
    void batcher.enqueue(req('w2a', 1, {}, 2));
    void batcher.enqueue(req('w2b', 1, {}, 2));
    void batcher.enqueue(req('w3', 1, {}, 3));
    void batcher.enqueue(req('w2c', 1, {}, 2));
    inst.release();
    await flush();
    expect(inst.batches[1]).toEqual(['w2a', 'w2b']);
    inst.release();
    await flush();
    expect(inst.batches[2]).toEqual(['w3']);
    inst.release();
    await flush();
    expect(inst.batches[3]).toEqual(['w2c']);
  });

  it('without dynamic_batching (the default scheduler) never merges', async () => {
    const { inst, batcher } = setup(undefined, { maxBatchSize: 8 });
    for (const t of ['a', 'b', 'c']) void batcher.enqueue(req(t));
    await flush();
    inst.release();
    await flush();
    expect(inst.batches).toEqual([['a'], ['b']]);
  });

  it('spreads batches over idle instances', async () => {
    const { instances, batcher } = setup({}, { maxBatchSize: 1, instances: 3 });
    for (const t of ['a', 'b', 'c', 'd']) void batcher.enqueue(req(t));
    await flush();
    expect(instances.map((i) => i.batches)).toEqual([[['a']], [['b']], [['c']]]);
    instances[1]!.release();
    await flush();
    expect(instances[1]!.batches).toEqual([['b'], ['d']]);
  });
});

describe('DynamicBatcher: priorities and queue policies', () => {
  it('serves lower priority numbers first, FIFO within a level; out-of-range priority uses the default level', async () => {
    const { inst, batcher } = setup({ priorityLevels: 3n, defaultPriorityLevel: 2n }, { maxBatchSize: 1 });
    void batcher.enqueue(req('blocker'));
    await flush();
    void batcher.enqueue(req('p3', 1, { priority: 3 }));
    void batcher.enqueue(req('p2a', 1, { priority: 2 }));
    void batcher.enqueue(req('default', 1, { priority: 0 }));
    void batcher.enqueue(req('p1', 1, { priority: 1 }));
    void batcher.enqueue(req('p9', 1, { priority: 9 }));
    for (let i = 0; i < 5; i++) {
      inst.release();
      await flush();
    }
    expect(inst.batches.slice(1).map((b) => b[0])).toEqual(['p1', 'p2a', 'default', 'p9', 'p3']);
  });

  it('max_queue_size refuses with 503 "Exceeds maximum queue size"', async () => {
    const { batcher } = setup({ defaultQueuePolicy: create(ModelQueuePolicySchema, { maxQueueSize: 2 }) }, { maxBatchSize: 1 });
    void batcher.enqueue(req('running'));
    await flush();
    void batcher.enqueue(req('q1'));
    void batcher.enqueue(req('q2'));
    expect(await rejected(batcher.enqueue(req('q3')))).toEqual({ code: 'UNAVAILABLE', message: '[request id: q3] Exceeds maximum queue size' });
  });

  it('a per-level policy applies to its level only', async () => {
    const policy = create(ModelQueuePolicySchema, { maxQueueSize: 1 });
    const { batcher } = setup({ priorityLevels: 2n, defaultPriorityLevel: 2n, priorityQueuePolicy: { '1': policy } }, { maxBatchSize: 1 });
    void batcher.enqueue(req('running'));
    await flush();
    void batcher.enqueue(req('hi1', 1, { priority: 1 }));
    expect((await rejected(batcher.enqueue(req('hi2', 1, { priority: 1 })))).code).toBe('UNAVAILABLE');
    void batcher.enqueue(req('lo1', 1, { priority: 2 }));
    void batcher.enqueue(req('lo2', 1, { priority: 2 }));
  });

  it('REJECT: a request still queued at its timeout fails with 503 "Request timeout expired"', async () => {
    const { clock, inst, batcher } = setup({ defaultQueuePolicy: create(ModelQueuePolicySchema, { defaultTimeoutMicroseconds: 2000n }) }, { maxBatchSize: 1 });
    void batcher.enqueue(req('running'));
    await flush();
    const waiting = batcher.enqueue(req('late'));
    clock.advance(1.5);
    await flush();
    const again = batcher.enqueue(req('later'));
    clock.advance(0.5);
    expect(await rejected(waiting)).toEqual({ code: 'UNAVAILABLE', message: '[request id: late] Request timeout expired' });
    inst.release();
    await flush();
    expect(inst.batches[1]).toEqual(['later']);
    inst.release();
    expect(tagOf(await again)).toBe('later');
  });

  it('DELAY: an expired request waits behind the non-expired ones of its level', async () => {
    const policy = create(ModelQueuePolicySchema, { defaultTimeoutMicroseconds: 1000n, timeoutAction: ModelQueuePolicy_TimeoutAction.DELAY });
    const { clock, inst, batcher } = setup({ defaultQueuePolicy: policy }, { maxBatchSize: 1 });
    void batcher.enqueue(req('running'));
    await flush();
    void batcher.enqueue(req('old'));
    clock.advance(1.5);
    void batcher.enqueue(req('new'));
    for (let i = 0; i < 2; i++) {
      inst.release();
      await flush();
    }
    expect(inst.batches.slice(1)).toEqual([['new'], ['old']]);
  });

  it('a request timeout overrides only when allowed and shorter than a non-zero default', async () => {
    const mk = (allow: boolean, def: bigint) =>
      setup({ defaultQueuePolicy: create(ModelQueuePolicySchema, { defaultTimeoutMicroseconds: def, allowTimeoutOverride: allow }) }, { maxBatchSize: 1 });
    const shorter = mk(true, 5000n);
    void shorter.batcher.enqueue(req('running'));
    await flush();
    const s = shorter.batcher.enqueue(req('s', 1, { timeoutUs: 1000 }));
    shorter.clock.advance(1);
    expect((await rejected(s)).message).toBe('[request id: s] Request timeout expired');

    const notAllowed = mk(false, 5000n);
    void notAllowed.batcher.enqueue(req('running'));
    await flush();
    const n = notAllowed.batcher.enqueue(req('n', 1, { timeoutUs: 1000 }));
    notAllowed.clock.advance(4);
    notAllowed.inst.release();
    await flush();
    notAllowed.inst.release();
    expect(tagOf(await n)).toBe('n');

    const zeroDefault = mk(true, 0n);
    void zeroDefault.batcher.enqueue(req('running'));
    await flush();
    const z = zeroDefault.batcher.enqueue(req('z', 1, { timeoutUs: 1000 }));
    zeroDefault.clock.advance(10);
    zeroDefault.inst.release();
    await flush();
    zeroDefault.inst.release();
    expect(tagOf(await z)).toBe('z');
  });

  it('preserve_ordering: responses leave in arrival order even when a later batch finishes first', async () => {
    const { instances, batcher } = setup({ preserveOrdering: true }, { maxBatchSize: 1, instances: 2 });
    const order: string[] = [];
    const a = batcher.enqueue(req('a')).then((r) => order.push(String(tagOf(r))));
    const b = batcher.enqueue(req('b')).then((r) => order.push(String(tagOf(r))));
    await flush();
    instances[1]!.release();
    await flush();
    expect(order).toEqual([]);
    instances[0]!.release();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });

  it('statistics count executions and elements', async () => {
    const { inst, batcher, stats } = setup({}, { maxBatchSize: 8 });
    const all = [batcher.enqueue(req('a', 2))];
    await flush();
    all.push(batcher.enqueue(req('b', 3)), batcher.enqueue(req('c', 1)));
    inst.release();
    await flush();
    inst.release();
    await Promise.all(all);
    expect(stats.executionCount).toBe(2);
    expect([...stats.batches.keys()].sort()).toEqual([2, 4]);
    expect(stats.pending).toBe(0);
  });
});
