import { type ErrorCode, isServerError } from '../../core/index.ts';

/** Triton's mapping from error codes to HTTP status codes (the only place it lives). */
const STATUS: Record<ErrorCode, number> = {
  INTERNAL: 500,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  UNSUPPORTED: 501,
  INVALID_ARG: 400,
  ALREADY_EXISTS: 400,
  CANCELLED: 400,
  UNKNOWN: 400,
};

export function errorResponse(status: number, message: string, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify({ error: message }), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A refusal of the HTTP layer itself, which needs a status or headers a core error does not carry. */
export interface HttpProblem extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly __httpProblem: true;
}

export function httpProblem(status: number, message: string, headers: Record<string, string> = {}): HttpProblem {
  return Object.assign(new Error(message), { name: 'HttpProblem', status, headers, __httpProblem: true as const });
}

const isHttpProblem = (e: unknown): e is HttpProblem => typeof e === 'object' && e !== null && (e as { __httpProblem?: unknown }).__httpProblem === true;

/**
 * The one error hook (app.onError): anything a handler throws becomes KServe's
 * `{"error": "..."}`, with Triton's status for core errors.
 */
export function toErrorResponse(e: unknown): Response {
  if (isHttpProblem(e)) return errorResponse(e.status, e.message, e.headers);
  if (isServerError(e)) return errorResponse(STATUS[e.code] ?? 400, e.message);
  const message = e instanceof Error ? e.message : String(e);
  return errorResponse(500, `internal error: ${message}`);
}

export const notFoundResponse = (): Response => errorResponse(404, 'Not Found');
export const methodNotAllowed = (): Response => errorResponse(405, 'Method Not Allowed');
