import { invalidArg } from '../errors.ts';

const MAX_ELEMENTS = Number.MAX_SAFE_INTEGER;

/**
 * Validates a request shape (JSON array of non-negative integers) and returns its element count.
 * A product beyond 2^53 is rejected before anything is allocated.
 */
export function checkShape(input: string, shape: unknown): number {
  if (!Array.isArray(shape)) {
    throw invalidArg(`Unable to parse 'shape' of input '${input}': attempt to access JSON non-array as array`);
  }
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw invalidArg(`Unable to parse 'shape' of input '${input}': attempt to access JSON non-unsigned-integer as unsigned-integer`);
    }
    count *= d;
  }
  if (count > MAX_ELEMENTS) {
    throw invalidArg(
      `invalid shape for input '${input}': shape [${shape.join(',')}] causes total element count to exceed maximum size of 9223372036854775807`,
    );
  }
  return count;
}

export function formatShape(shape: readonly (number | bigint)[]): string {
  return `[${shape.join(',')}]`;
}
