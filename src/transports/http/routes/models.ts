import type { Context, Hono } from 'hono';
import { errorResponse, methodNotAllowed } from '../errors.ts';
import { empty, json, type RouteContext } from '../context.ts';
import { handleGenerate, handleGenerateStream } from './generate.ts';
import { handleInfer } from './infer.ts';
import { segment } from './segment.ts';

const SUFFIXES = new Set(['', 'ready', 'config', 'stats', 'infer', 'generate', 'generate_stream']);
const PREFIX = '/v2/models/';

/**
 * /v2/models/stats and /v2/models/{m}[/versions/{v}][/ready|config|stats|infer], matched like
 * Triton's router: the version must be digits, anything else is 404 "Not Found". One route and a
 * split of the path: the hot path of every inference request.
 */
export function modelRoutes(app: Hono, ctx: RouteContext): void {
  app.all('/v2/models/*', (c) => dispatch(c, ctx));
}

const notFound = () => errorResponse(404, 'Not Found');

function dispatch(c: Context, ctx: RouteContext): Response | Promise<Response> {
  const path = c.req.path;
  if (!path.startsWith(PREFIX)) return notFound();
  const parts = path.slice(PREFIX.length).split('/');
  if (parts.some((p) => p === '') || parts.length > 4) return notFound();
  const method = c.req.method;
  const { server } = ctx;
  if (parts.length === 1 && parts[0] === 'stats') return method === 'GET' ? answer(() => server.modelStats()) : methodNotAllowed();
  const model = segment(parts[0]!);
  let version: string | undefined;
  let suffix = '';
  if (parts.length >= 3) {
    if (parts[1] !== 'versions') return notFound();
    version = segment(parts[2]!);
    suffix = parts[3] ?? '';
  } else {
    suffix = parts[1] ?? '';
  }
  if (!SUFFIXES.has(suffix) || (version !== undefined && !/^\d+$/.test(version))) return notFound();
  switch (suffix) {
    case '':
      return method === 'GET' ? answer(() => server.modelMetadata(model, version)) : methodNotAllowed();
    case 'ready':
      if (method !== 'GET') return methodNotAllowed();
      return ready(server, model, version);
    case 'config':
      return method === 'GET' ? answer(() => server.modelConfig(model, version)) : methodNotAllowed();
    case 'stats':
      return method === 'GET' ? answer(() => server.modelStats(model, version)) : methodNotAllowed();
    default: {
      if (method !== 'POST') return methodNotAllowed();
      const handle = suffix === 'infer' ? handleInfer : suffix === 'generate' ? handleGenerate : handleGenerateStream;
      return ctx.pending ? ctx.pending.run(() => handle(c, ctx, model, version)) : handle(c, ctx, model, version);
    }
  }
}

/** A JSON answer from the server (maybe from the engine thread). */
async function answer(get: () => unknown): Promise<Response> {
  return json(await get());
}

async function ready(server: RouteContext['server'], model: string, version: string | undefined): Promise<Response> {
  return (await server.modelReady(model, version)) ? empty(200) : errorResponse(400, 'Model version not ready');
}
