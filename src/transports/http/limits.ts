import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

/**
 * --http-max-pending: at most `max` inference and repository requests in flight; past it, 503
 * at once (the request is not read, queued or allocated for).
 */
export class PendingLimit {
  private inflight = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }

  /** Runs `fn` if there is room, else answers 503 without calling it. */
  async run(fn: () => Response | Promise<Response>): Promise<Response> {
    if (this.inflight >= this.max) return errorResponse(503, `Server is busy: ${this.inflight} requests are in flight (--http-max-pending ${this.max})`);
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
    }
  }

  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const res = await this.run(async () => {
        await next();
        return c.res;
      });
      if (res !== c.res) return res;
    };
  }
}
