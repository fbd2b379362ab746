/**
 * One error type for the whole server. Codes follow Triton's status codes; the HTTP
 * transport maps them to status codes at the edge (see transports/http/errors.ts).
 * Recognise errors with `isServerError` (a brand check), never `instanceof`: errors
 * cross worker boundaries and duplicate bundles.
 */
export type ErrorCode = 'INVALID_ARG' | 'NOT_FOUND' | 'UNAVAILABLE' | 'UNSUPPORTED' | 'ALREADY_EXISTS' | 'INTERNAL' | 'CANCELLED' | 'UNKNOWN';

export interface ServerError extends Error {
  readonly code: ErrorCode;
  readonly __nereidError: true;
}

export function serverError(code: ErrorCode, message: string, cause?: unknown): ServerError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as Error & {
    code: ErrorCode;
    __nereidError: true;
  };
  err.name = 'ServerError';
  err.code = code;
  err.__nereidError = true;
  return err;
}

export function isServerError(e: unknown): e is ServerError {
  return typeof e === 'object' && e !== null && (e as { __nereidError?: unknown }).__nereidError === true;
}

export const invalidArg = (msg: string, cause?: unknown): ServerError => serverError('INVALID_ARG', msg, cause);
export const notFound = (msg: string, cause?: unknown): ServerError => serverError('NOT_FOUND', msg, cause);
export const unavailable = (msg: string, cause?: unknown): ServerError => serverError('UNAVAILABLE', msg, cause);
export const unsupported = (msg: string, cause?: unknown): ServerError => serverError('UNSUPPORTED', msg, cause);
export const internal = (msg: string, cause?: unknown): ServerError => serverError('INTERNAL', msg, cause);

/** Wraps any thrown value as a ServerError, keeping its code when it already is one. */
export function toServerError(e: unknown, fallback: ErrorCode = 'INTERNAL'): ServerError {
  if (isServerError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return serverError(fallback, msg, e);
}

/** Triton's human-readable code names, used in lifecycle reasons ("Invalid argument: ..."). */
export const codeLabel: Record<ErrorCode, string> = {
  INVALID_ARG: 'Invalid argument',
  NOT_FOUND: 'Not found',
  UNAVAILABLE: 'Unavailable',
  UNSUPPORTED: 'Unsupported',
  ALREADY_EXISTS: 'Already exists',
  INTERNAL: 'Internal',
  CANCELLED: 'Cancelled',
  UNKNOWN: 'Unknown',
};
