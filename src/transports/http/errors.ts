import { type ErrorCode, isServerError } from '../../core/errors.ts';

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

/** Turns anything thrown by the core into KServe's `{"error": "..."}` with Triton's status code. */
export function toErrorResponse(e: unknown): Response {
  if (isServerError(e)) return errorResponse(STATUS[e.code] ?? 400, e.message, (e as { headers?: Record<string, string> }).headers);
  const message = e instanceof Error ? e.message : String(e);
  return errorResponse(500, `internal error: ${message}`);
}

export const notFoundResponse = (): Response => errorResponse(404, 'Not Found');
export const methodNotAllowed = (): Response => errorResponse(405, 'Method Not Allowed');
