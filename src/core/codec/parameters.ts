import { invalidArg } from '../errors.ts';
import type { InferRequest, Parameters, ParamValue, SequenceId } from '../types.ts';

/** The request-level parameters Triton gives a meaning; everything else is the client's own (echoed). */
export const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  'sequence_id',
  'sequence_start',
  'sequence_end',
  'priority',
  'timeout',
  'headers',
  'binary_data_output',
]);

/** What request-level parameters set on a typed request. */
export type RequestParameterFields = Pick<InferRequest, 'parameters' | 'sequence' | 'priority' | 'timeoutUs' | 'binaryOutput'>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and validates request-level parameters once, for every transport: Triton's reserved
 * ones become typed fields, the client's own stay in `parameters`. Values are JSON-like (HTTP);
 * gRPC hands over its typed values converted to the same shapes.
 */
export function requestParameters(value: unknown): RequestParameterFields {
  if (!isObject(value)) throw invalidArg(`Unable to parse 'parameters': attempt to access JSON non-object as object`);
  const out: RequestParameterFields = {};
  let sequenceId: SequenceId | undefined;
  let start: boolean | undefined;
  let end: boolean | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('triton_')) throw invalidArg(`parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.`);
    switch (k) {
      case 'sequence_id':
        sequenceId = sequenceIdOf(v);
        break;
      case 'sequence_start':
        start = bool(k, v);
        break;
      case 'sequence_end':
        end = bool(k, v);
        break;
      case 'binary_data_output':
        out.binaryOutput = bool(k, v);
        break;
      case 'priority':
        out.priority = unsigned(k, v);
        break;
      case 'timeout':
        out.timeoutUs = unsigned(k, v);
        break;
      case 'headers':
        throw invalidArg(`parameter '${k}' is reserved and cannot be set in a request`);
      default:
        (out.parameters ??= {})[k] = plainValue(k, v);
    }
  }
  if (sequenceId !== undefined || start !== undefined || end !== undefined) out.sequence = { id: sequenceId ?? 0, start: start ?? false, end: end ?? false };
  return out;
}

/** Tensor- and output-level parameters: string, number (integer or double) or bool. */
export function plainParameters(value: unknown): Parameters {
  if (!isObject(value)) throw invalidArg(`Unable to parse 'parameters': attempt to access JSON non-object as object`);
  const out: Parameters = {};
  for (const [k, v] of Object.entries(value)) out[k] = plainValue(k, v);
  return out;
}

function plainValue(k: string, v: unknown): ParamValue {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw invalidArg(`parameter '${k}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
  }
  return v;
}

const fail = (key: string, what: string) => invalidArg(`Unable to parse '${key}': attempt to access JSON non-${what} as ${what}`);

function sequenceIdOf(v: unknown): SequenceId {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' && v >= 0n && v < 2n ** 64n) return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw fail('sequence_id', 'unsigned-integer');
}

function bool(key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw fail(key, 'boolean');
  return v;
}

function unsigned(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(key, 'unsigned-integer');
  return v;
}
