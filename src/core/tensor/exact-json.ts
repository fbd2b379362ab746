import { isInteger, parse } from 'lossless-json';

/**
 * JSON.parse loses what integer tensors need: 64-bit integers beyond 2^53 and the difference
 * between `1` and `1.0`. Requests with integer tensors whose text could hit either case are
 * parsed again here: integer literals become numbers (or bigints past 2^53), float literals
 * inside `data` arrays stay marked as floats so integer inputs can refuse them.
 */
export class FloatLiteral {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

const INTEGER_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

/** True when a fast JSON.parse result may have lost information that an integer input needs. */
export function needsExactParse(header: Record<string, unknown>, text: string): boolean {
  const seq = (header.parameters as { sequence_id?: unknown } | undefined)?.sequence_id;
  if (typeof seq === 'number' && !Number.isSafeInteger(seq)) return true;
  const inputs = header.inputs;
  if (!Array.isArray(inputs)) return false;
  const integer = inputs.filter((i) => typeof i === 'object' && i !== null && 'data' in i && INTEGER_TYPES.has((i as { datatype?: string }).datatype ?? ''));
  if (integer.length === 0) return false;
  if (/\d[.eE]/.test(text)) return true;
  return integer.some((i) => hasUnsafe((i as { data: unknown }).data));
}

function hasUnsafe(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isSafeInteger(v) && Number.isInteger(v);
  return Array.isArray(v) && v.some(hasUnsafe);
}

const parseNumber = (s: string): unknown => {
  if (!isInteger(s)) return new FloatLiteral(Number(s));
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
};

/** Parses `text` keeping integers exact; float literals are FloatLiteral only inside `data` arrays. */
export function parseExact(text: string): unknown {
  return unwrap(parse(text, null, parseNumber), false);
}

function unwrap(v: unknown, inData: boolean): unknown {
  if (v instanceof FloatLiteral) return inData ? v : v.value;
  if (typeof v === 'bigint') return inData ? v : Number(v);
  if (Array.isArray(v)) return v.map((x) => unwrap(x, inData));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    // Tensor data and uint64 correlation ids keep their exact values.
    for (const [k, x] of Object.entries(v)) out[k] = unwrap(x, inData || k === 'data' || k === 'sequence_id');
    return out;
  }
  return v;
}
