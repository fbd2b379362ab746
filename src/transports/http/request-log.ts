import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../core/index.ts';
import { segment } from './routes/segment.ts';

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?/;
const REPOSITORY_PATH = /^\/v2\/repository(?:\/[^/]+)?\/models\/([^/]+)\//;
const SERVED = 'nereid.servedVersion';

/** Records which version answered a request that named none (read by the request log). */
export function noteServedVersion(c: Context, version: string): void {
  c.set(SERVED, version);
}

/**
 * `--log-verbose 1`: one verbose line per HTTP request, as Triton's verbose log has one per
 * request: method and path, then status, duration (until the response starts), model and the
 * version that served it, e.g.
 * `V 2026-… HTTP POST /v2/models/add_sub/infer {"status":200,"duration_ms":0.42,"model":"add_sub","version":"1"}`.
 * `createHttpApp` installs it when the logger writes level 1 or its level can change at runtime;
 * below level 1 it only passes the request on.
 */
export function requestLog(log: Logger, now: () => number = () => performance.now(), thread?: string): MiddlewareHandler {
  return async (c, next) => {
    if ((log.verboseLevel ?? 0) < 1) return next();
    const start = now();
    await next();
    const path = c.req.path;
    const fields: Record<string, unknown> = { status: c.res.status, duration_ms: Math.round((now() - start) * 1000) / 1000 };
    const m = MODEL_PATH.exec(path) ?? REPOSITORY_PATH.exec(path);
    if (m && path !== '/v2/models/stats') {
      fields.model = segment(m[1]!);
      const version = m[2] ?? (c.get(SERVED) as string | undefined);
      if (version !== undefined) fields.version = version;
    }
    if (thread !== undefined) fields.thread = thread;
    log.verbose(1, `HTTP ${c.req.method} ${path}`, fields);
  };
}
