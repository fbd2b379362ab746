import type { Hono } from 'hono';
import { errorResponse, methodNotAllowed } from '../errors.ts';
import { empty, json, type RouteContext } from '../context.ts';

/** GET /v2, /v2/health/live, /v2/health/ready: empty bodies, 200 or 400; 503 while exiting. */
export function healthRoutes(app: Hono, ctx: RouteContext): void {
  const { server } = ctx;
  app.all('/v2', async (c) => (c.req.method === 'GET' ? json(await server.metadata()) : methodNotAllowed()));
  app.all('/v2/health/:which{live|ready}', async (c) => {
    if (c.req.method !== 'GET') return methodNotAllowed();
    if (await server.isExiting()) return errorResponse(503, 'Server exiting');
    const ok = c.req.param('which') === 'live' ? await server.isLive() : await server.isReady();
    return empty(ok ? 200 : 400);
  });
}
