import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { ServerApi } from '../../core/index.ts';
import { DEFAULT_MAX_INPUT_SIZE, type HttpAppOptions, lazySignal, type RouteContext } from './context.ts';
import { notFoundResponse, toErrorResponse } from './errors.ts';
import { PendingLimit } from './limits.ts';
import { noteServedVersion, requestLog } from './request-log.ts';
import { restrictedApi } from './restricted.ts';
import { healthRoutes } from './routes/health.ts';
import { loggingRoutes } from './routes/logging.ts';
import { modelRoutes } from './routes/models.ts';
import { repositoryRoutes } from './routes/repository.ts';
import { unsupportedRoutes } from './routes/unsupported.ts';

export type { AuditEntry, HttpAppOptions, HttpIo } from './context.ts';
export { parseRestriction, type RestrictionRule } from './restricted.ts';

/**
 * The KServe v2 HTTP API (with Triton's extensions) as a hono app. Platform-neutral: Node, Deno,
 * a Web Worker and Electron all serve this same app.
 */
export function createHttpApp(server: ServerApi, opts: HttpAppOptions = {}): Hono {
  const ctx: RouteContext = {
    server,
    maxInputSize: opts.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE,
    audit: opts.audit ?? ((entry) => server.log.audit(entry as unknown as Record<string, unknown>)),
    remoteAddress: opts.remoteAddress ?? ((c) => c.req.header('x-forwarded-for') ?? undefined),
    cancelSignal: opts.cancelSignal ?? ((c) => lazySignal(() => c.req.raw.signal)),
    // Writing to the socket directly would skip the CORS headers the middleware adds afterwards.
    io: opts.corsOrigin && opts.corsOrigin.length > 0 ? { readBody: opts.io?.readBody } : opts.io,
  };
  const app = new Hono();
  // The request log checks the level per request when it can change at runtime (/v2/logging, gRPC LogSettings).
  if ((server.log.verboseLevel ?? 0) >= 1 || server.log.settings) {
    app.use('*', requestLog(server.log, undefined, opts.thread));
    ctx.noteServedVersion = noteServedVersion;
  }
  if (opts.corsOrigin && opts.corsOrigin.length > 0) {
    app.use(
      '/v2/*',
      cors({
        // `*` allows any origin (given as a list, hono would compare it literally).
        origin: opts.corsOrigin.includes('*') ? '*' : opts.corsOrigin,
        exposeHeaders: ['Inference-Header-Content-Length'],
        allowHeaders: ['Content-Type', 'Inference-Header-Content-Length', 'Content-Encoding'],
      }),
    );
  }
  if (opts.restricted && opts.restricted.length > 0) app.use('*', restrictedApi(opts.restricted));
  if (opts.maxPending !== undefined && opts.maxPending > 0) {
    // One count for inference (checked in the models route) and repository requests.
    ctx.pending = new PendingLimit(opts.maxPending);
    app.use('/v2/repository/*', ctx.pending.middleware());
  }
  healthRoutes(app, ctx);
  loggingRoutes(app, ctx);
  unsupportedRoutes(app); // before modelRoutes, whose /v2/models/* would answer 404
  modelRoutes(app, ctx);
  repositoryRoutes(app, ctx);
  app.notFound(() => notFoundResponse());
  app.onError((err) => toErrorResponse(err));
  return app;
}
