import { invalidArg } from '../errors.ts';

/**
 * BYTES tensors on the wire: for each element a 4-byte little-endian length, then the bytes.
 */
export function serializeBytesTensor(elements: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of elements) total += 4 + e.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const e of elements) {
    view.setUint32(off, e.byteLength, true);
    out.set(e, off + 4);
    off += 4 + e.byteLength;
  }
  return out;
}

/**
 * Splits a serialized BYTES tensor into its elements (views, no copies). `expected` is the
 * element count the shape demands; a different count or a truncated length prefix is an error
 * with Triton's wording.
 */
export function deserializeBytesTensor(buf: Uint8Array, expected: number, input: string, model: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.byteLength) {
    if (buf.byteLength - off < 4) {
      throw invalidArg(
        `incomplete string length indicator for inference input '${input}' for model '${model}', expecting 4 bytes but only ${buf.byteLength - off} bytes available. Please make sure the string length indicator is in one chunk.`,
      );
    }
    const len = view.getUint32(off, true);
    off += 4;
    if (len > buf.byteLength - off) {
      throw invalidArg(
        `incomplete string data for inference input '${input}' for model '${model}', expecting string of length ${len} but only ${buf.byteLength - off} bytes available.`,
      );
    }
    if (out.length >= expected) {
      throw invalidArg(`expected ${expected} string elements for inference input '${input}' for model '${model}', got more`);
    }
    out.push(buf.subarray(off, off + len));
    off += len;
  }
  if (out.length !== expected) {
    throw invalidArg(`expected ${expected} string elements for inference input '${input}' for model '${model}', got ${out.length}`);
  }
  return out;
}
