import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

/**
 * --http-max-pending: at most `max` inference and repository requests in flight; past it, 503
 * at once (the request is not read, queued or allocated for).
 */
export function maxPending(max: number): MiddlewareHandler {
  let inflight = 0;
  return async (c, next) => {
    if (inflight >= max) return errorResponse(503, `Server is busy: ${inflight} requests are in flight (--http-max-pending ${max})`);
    inflight++;
    try {
      await next();
    } finally {
      inflight--;
    }
  };
}
