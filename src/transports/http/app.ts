import { Hono } from 'hono';
import type { InferenceServer } from '../../core/server.ts';
import { DEFAULT_MAX_INPUT_SIZE, type HttpAppOptions, type RouteContext } from './context.ts';
import { notFoundResponse, toErrorResponse } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { modelRoutes } from './routes/models.ts';
import { repositoryRoutes } from './routes/repository.ts';

export type { HttpAppOptions } from './context.ts';

/**
 * The KServe v2 HTTP API (with Triton's extensions) as a hono app. Platform-neutral: Node, Deno,
 * a Web Worker and Electron all serve this same app.
 */
export function createHttpApp(server: InferenceServer, opts: HttpAppOptions = {}): Hono {
  const ctx: RouteContext = { server, maxInputSize: opts.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE };
  const app = new Hono();
  healthRoutes(app, ctx);
  modelRoutes(app, ctx);
  repositoryRoutes(app, ctx);
  app.notFound(() => notFoundResponse());
  app.onError((err) => toErrorResponse(err));
  return app;
}
