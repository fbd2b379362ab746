import { invalidArg } from '../errors.ts';

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Validates a request shape (JSON array of non-negative integers) and returns its element count.
 * A count (or, given `elementSize`, a byte size) beyond int64 is refused with Triton's messages
 * before anything is allocated.
 */
export function checkShape(input: string, shape: unknown, elementSize = 0): number {
  if (!Array.isArray(shape)) {
    throw invalidArg(`Unable to parse 'shape' of input '${input}': attempt to access JSON non-array as array`);
  }
  let count = 1n;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw invalidArg(`Unable to parse 'shape' of input '${input}': attempt to access JSON non-unsigned-integer as unsigned-integer`);
    }
    count *= BigInt(d);
  }
  if (count > INT64_MAX) {
    throw invalidArg(`invalid shape for input '${input}': shape [${shape.join(',')}] causes total element count to exceed maximum size of ${INT64_MAX}`);
  }
  if (elementSize > 0 && count * BigInt(elementSize) > INT64_MAX) {
    throw invalidArg(
      `byte size overflow for input '${input}': element count (${count}) * data type size (${elementSize}) exceeds maximum allowed size (${INT64_MAX})`,
    );
  }
  return Number(count);
}

export function formatShape(shape: readonly (number | bigint)[]): string {
  return `[${shape.join(',')}]`;
}
