import type { Context, Hono } from 'hono';
import { errorResponse, methodNotAllowed, toErrorResponse } from '../errors.ts';
import { empty, json, type RouteContext } from '../context.ts';
import { handleInfer } from './infer.ts';

const SUFFIXES = new Set(['', 'ready', 'config', 'stats', 'infer']);

/**
 * /v2/models/{m}[/versions/{v}][/ready|config|stats|infer], matched like Triton's router: the
 * version must be digits, anything else is 404 "Not Found".
 */
export function modelRoutes(app: Hono, ctx: RouteContext): void {
  app.all('/v2/models/stats', (c) => (c.req.method === 'GET' ? guard(() => json(ctx.server.modelStats())) : methodNotAllowed()));
  const handler = (c: Context) => dispatch(c, ctx);
  app.all('/v2/models/:model', handler);
  app.all('/v2/models/:model/:suffix', handler);
  app.all('/v2/models/:model/versions/:version', handler);
  app.all('/v2/models/:model/versions/:version/:suffix', handler);
}

function dispatch(c: Context, ctx: RouteContext): Response | Promise<Response> {
  const model = c.req.param('model') ?? '';
  const version = c.req.param('version');
  const suffix = c.req.param('suffix') ?? '';
  if (!SUFFIXES.has(suffix) || (version !== undefined && !/^\d+$/.test(version))) return errorResponse(404, 'Not Found');
  const method = c.req.method;
  const { server } = ctx;
  switch (suffix) {
    case '':
      return method === 'GET' ? guard(() => json(server.modelMetadata(model, version))) : methodNotAllowed();
    case 'ready':
      return method === 'GET' ? guard(() => (server.modelReady(model, version) ? empty(200) : errorResponse(400, 'Model version not ready'))) : methodNotAllowed();
    case 'config':
      return method === 'GET' ? guard(() => json(server.modelConfig(model, version))) : methodNotAllowed();
    case 'stats':
      return method === 'GET' ? guard(() => json(server.modelStats(model, version))) : methodNotAllowed();
    default:
      return method === 'POST' ? handleInfer(c, ctx, model, version) : methodNotAllowed();
  }
}

function guard(fn: () => Response): Response {
  try {
    return fn();
  } catch (e) {
    return toErrorResponse(e);
  }
}
