import type * as Ort from 'onnxruntime-node';

/**
 * Makes onnxruntime-node's float16 tensors carry their bits in a Uint16Array, as they do on
 * Node 20 and as Nereid's codec hands them over.
 *
 * onnxruntime-common decides once, at its first tensor, how float16 data is stored: in a
 * Float16Array when the runtime has one (Node 24, Deno, Electron 43+), else in a Uint16Array
 * (a Uint16Array given for a float16 tensor is then re-viewed as Float16Array). onnxruntime-node
 * 1.30's binding reads a Float16Array input as 0 bytes, so every float16 input fails with "not
 * enough space: expected N, got 0" (microsoft/onnxruntime PR #32323, open). Letting that first
 * decision see no Float16Array keeps float16 data a Uint16Array, which the binding reads right.
 *
 * Call it before the first tensor is made; returns whether float16 data is a Uint16Array now.
 */
export function keepFloat16AsUint16(ort: typeof Ort): boolean {
  const g = globalThis as { Float16Array?: unknown };
  const native = g.Float16Array;
  if (native !== undefined) {
    g.Float16Array = undefined;
    try {
      new ort.Tensor('float32', new Float32Array(0), [0]);
    } finally {
      g.Float16Array = native;
    }
  }
  return new ort.Tensor('float16', new Uint16Array(1), [1]).data instanceof Uint16Array;
}
