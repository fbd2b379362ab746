import type { InferenceSession } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { adaptiveSession } from '../../src/platform/ort/node/adaptive-session.ts';

/** A stand-in for an onnxruntime-node session: computes synchronously inside a setImmediate, as it does. */
function fakeSession(label: string, blockMs: number | ((run: number) => number)) {
  const calls = { runs: 0, releases: 0 };
  const session = {
    run: (feeds: Record<string, unknown>) =>
      new Promise((resolve) =>
        setImmediate(() => {
          const until = performance.now() + (typeof blockMs === 'number' ? blockMs : blockMs(calls.runs));
          while (performance.now() < until);
          calls.runs++;
          resolve({ out: { label, feeds } });
        }),
      ),
    release: async () => {
      calls.releases++;
    },
  };
  return { session: session as unknown as InferenceSession, calls };
}

describe('adaptive session (execution_thread: auto)', () => {
  it('stays on the main thread while runs are short', async () => {
    const main = fakeSession('main', 0);
    let moves = 0;
    const s = adaptiveSession(
      main.session,
      async () => {
        moves++;
        return fakeSession('thread', 0).session;
      },
      { thresholdMs: 1, window: 8 },
    );
    for (let i = 0; i < 50; i++) expect(await s.run({})).toMatchObject({ out: { label: 'main' } });
    expect(moves).toBe(0);
    await s.release();
    expect(main.calls.releases).toBe(1);
  });

  it('moves to its own thread once the median of the last runs passes the threshold, and releases each session once', async () => {
    const main = fakeSession('main', 3);
    const thread = fakeSession('thread', 0);
    const moved: number[] = [];
    let creates = 0;
    const s = adaptiveSession(
      main.session,
      async () => {
        creates++;
        return thread.session;
      },
      { thresholdMs: 1, window: 4, onMove: (ms) => moved.push(ms) },
    );
    const labels: string[] = [];
    for (let i = 0; i < 10; i++) labels.push(((await s.run({})) as unknown as { out: { label: string } }).out.label);
    expect(labels.slice(0, 4)).toEqual(['main', 'main', 'main', 'main']);
    expect(labels.slice(5)).toEqual(['thread', 'thread', 'thread', 'thread', 'thread']);
    expect(creates).toBe(1);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toBeGreaterThanOrEqual(3);
    expect(main.calls.releases).toBe(1);
    await s.release();
    expect(thread.calls.releases).toBe(1);
    expect(main.calls.releases).toBe(1);
  });

  it('stays on the main thread when only a few runs are long (a busy machine preempting it)', async () => {
    // One run in four takes 12 ms: a mean of 3 ms, a median of 0.
    const main = fakeSession('main', (run) => (run % 4 === 3 ? 12 : 0));
    let moves = 0;
    const s = adaptiveSession(
      main.session,
      async () => {
        moves++;
        return fakeSession('thread', 0).session;
      },
      { thresholdMs: 1, window: 8 },
    );
    for (let i = 0; i < 40; i++) expect(await s.run({})).toMatchObject({ out: { label: 'main' } });
    expect(moves).toBe(0);
    await s.release();
  });

  it('keeps serving on the main thread when the move fails', async () => {
    const main = fakeSession('main', 2);
    const errors: string[] = [];
    const s = adaptiveSession(main.session, async () => Promise.reject(new Error('no threads here')), {
      thresholdMs: 1,
      window: 2,
      onMoveFailed: (e) => errors.push(e.message),
    });
    for (let i = 0; i < 6; i++) expect(await s.run({})).toMatchObject({ out: { label: 'main' } });
    expect(errors).toEqual(['no threads here']);
    await s.release();
    expect(main.calls.releases).toBe(1);
  });
});
