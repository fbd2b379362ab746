import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { OrtTensorCtor } from '../../src/platform/ort/convert.ts';
import { createThreadSession } from '../../src/platform/ort/node/thread-session.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';

const Ctor = ort.Tensor as unknown as OrtTensorCtor;
const feeds = (a: number[], b: number[]) => ({
  INPUT0: new ort.Tensor('float32', Float32Array.from(a), [1, a.length]),
  INPUT1: new ort.Tensor('float32', Float32Array.from(b), [1, b.length]),
});
const a = Array.from({ length: 16 }, (_, i) => i * 1.5);
const b = Array.from({ length: 16 }, (_, i) => 100 - i);

describe('onnxruntime-node session in its own thread', () => {
  it('computes, copies only the input view, and starts a new thread after a crash', async () => {
    const s = (await createThreadSession(Ctor, { model: addSubModel(), options: { executionProviders: ['cpu'] } })) as unknown as ort.InferenceSession & {
      crash(): Promise<void>;
    };
    const out = await s.run(feeds(a, b));
    expect(Array.from(out.OUTPUT0!.data as Float32Array)).toEqual(a.map((x, i) => x + b[i]!));
    expect(Array.from(out.OUTPUT1!.data as Float32Array)).toEqual(a.map((x, i) => x - b[i]!));

    // An input that is a window on a larger buffer: only the window travels, the buffer stays usable.
    const big = new Float32Array(1 << 20).fill(3);
    const win = new ort.Tensor('float32', big.subarray(16, 32), [1, 16]);
    const out2 = await s.run({ INPUT0: win, INPUT1: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 16]) });
    expect(Array.from(out2.OUTPUT0!.data as Float32Array)).toEqual(Array(16).fill(4));
    expect(big.byteLength).toBe(4 << 20);

    await s.crash();
    // The next request after the crash gets a fresh thread and the right answer.
    let after: Awaited<ReturnType<typeof s.run>> | undefined;
    for (let i = 0; i < 3 && !after; i++) after = await s.run(feeds(b, a)).catch(() => undefined);
    expect(Array.from(after!.OUTPUT0!.data as Float32Array)).toEqual(b.map((x, i) => x + a[i]!));
    await s.release();
  });

  it('reports a model that onnxruntime cannot load', async () => {
    await expect(createThreadSession(Ctor, { model: new Uint8Array([1, 2, 3]), options: {} })).rejects.toThrow();
  });
});
