import { describe, expect, it } from 'vitest';
import { startPoller } from '../../src/core/lifecycle/poller.ts';
import { flush, ManualClock } from './helpers.ts';

describe('repository poller (core, on the injected clock)', () => {
  it('polls every interval after the previous pass ends; passes never overlap; stop ends it', async () => {
    const clock = new ManualClock();
    const passes: { start: number; end?: () => void }[] = [];
    const stop = startPoller(() => new Promise<void>((resolve) => passes.push({ start: clock.now(), end: resolve })), clock, 1000);
    clock.advance(999);
    expect(passes).toHaveLength(0);
    clock.advance(1);
    expect(passes.map((p) => p.start)).toEqual([1000]);
    // A slow pass: no second pass while it runs, however much time goes by.
    clock.advance(5000);
    expect(passes).toHaveLength(1);
    passes[0]!.end!();
    await flush();
    clock.advance(999);
    expect(passes).toHaveLength(1);
    clock.advance(1);
    expect(passes.map((p) => p.start)).toEqual([1000, 7000]);
    passes[1]!.end!();
    await flush();
    stop();
    clock.advance(10_000);
    expect(passes).toHaveLength(2);
  });

  it('a failing pass is logged and polling goes on', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    let calls = 0;
    const log = { error: (m: string) => errors.push(m), warn() {}, info() {}, verbose() {}, audit() {} };
    const stop = startPoller(
      async () => {
        calls++;
        throw new Error('disk gone');
      },
      clock,
      100,
      log,
    );
    clock.advance(100);
    await flush();
    clock.advance(100);
    await flush();
    stop();
    expect(calls).toBe(2);
    expect(errors).toEqual(['repository poll failed: disk gone', 'repository poll failed: disk gone']);
  });
});
