import type { Context, Hono } from 'hono';
import { invalidArg } from '../../../core/index.ts';
import { readBody } from '../body.ts';
import { type AuditedAction, auditAction, checkFilePath, parseConfigOverride } from '../../repository-actions.ts';
import { empty, json, type RouteContext } from '../context.ts';
import { errorResponse, methodNotAllowed, toErrorResponse } from '../errors.ts';
import { segment } from './segment.ts';

/**
 * The model repository extension: /v2/repository[/{repo}]/index, /v2/repository/models/{m}/load|unload
 * (with config/file overrides); naming a repository in load/unload is 501 as in Triton. One route
 * and a split of the path (several routes here would cost every request a slower router).
 */
export function repositoryRoutes(app: Hono, ctx: RouteContext): void {
  app.all('/v2/repository/*', (c) => {
    const parts = c.req.path.slice('/v2/repository/'.length).split('/');
    if (parts.some((p) => p === '')) return errorResponse(404, 'Not Found');
    const post = c.req.method === 'POST';
    if (parts.at(-1) === 'index' && parts.length <= 2) return post ? handleIndex(c, ctx) : methodNotAllowed();
    const action = parts.at(-1);
    if ((action === 'load' || action === 'unload') && parts.at(-3) === 'models' && parts.length <= 4) {
      if (!post) return methodNotAllowed();
      if (parts.length === 4) return errorResponse(501, `'repository_name' specification is not supported`);
      const model = segment(parts[1]!);
      return action === 'load' ? handleLoad(c, ctx, model) : handleUnload(c, ctx, model);
    }
    return errorResponse(404, 'Not Found');
  });
}

async function readJsonBody(c: Context, ctx: RouteContext): Promise<Record<string, unknown>> {
  const bytes = await readBody(c.req.raw, ctx.maxInputSize, false);
  const text = new TextDecoder().decode(bytes).trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidArg(`failed to parse the request JSON buffer: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArg('failed to parse the request JSON buffer: expected a JSON object');
  return value as Record<string, unknown>;
}

async function handleIndex(c: Context, ctx: RouteContext): Promise<Response> {
  try {
    const body = await readJsonBody(c, ctx);
    if ('ready' in body && typeof body.ready !== 'boolean') throw invalidArg(`Invalid value for 'ready': expected a boolean`);
    return json(await ctx.server.index(body.ready === true));
  } catch (e) {
    return toErrorResponse(e);
  }
}

async function handleLoad(c: Context, ctx: RouteContext, model: string): Promise<Response> {
  try {
    const body = await readJsonBody(c, ctx);
    const params = body.parameters;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      throw invalidArg(`Unable to parse 'parameters': attempt to access JSON non-object as object`);
    }
    let config: ReturnType<typeof parseConfigOverride> | undefined;
    const files = new Map<string, Uint8Array>();
    for (const [key, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string') throw invalidArg(`load parameter '${key}' must be a JSON string`);
      if (key === 'config') config = parseConfigOverride(value);
      else if (key.startsWith('file:')) files.set(checkFilePath(key.slice(5)), decodeBase64(key, value));
      else throw invalidArg(`unexpected load parameter '${key}': expected 'config' or 'file:<version>/<path>'`);
    }
    const res = await settle(() => ctx.server.load(model, { config, files }));
    await audit(c, ctx, { action: 'load', model, config_override: config !== undefined, files: files.size }, res);
    return res;
  } catch (e) {
    return toErrorResponse(e);
  }
}

/** Runs a repository action, turning its error into the HTTP answer. */
async function settle(fn: () => Promise<void>): Promise<Response> {
  try {
    await fn();
    return empty(200);
  } catch (e) {
    return toErrorResponse(e);
  }
}

async function audit(c: Context, ctx: RouteContext, what: AuditedAction, res: Response): Promise<void> {
  const result =
    res.status === 200
      ? 'ok'
      : ((
          (await res
            .clone()
            .json()
            .catch(() => ({}))) as { error?: string }
        ).error ?? `HTTP ${res.status}`);
  await auditAction(ctx.server, ctx.audit, what, { source: ctx.remoteAddress(c), status: res.status, result });
}

async function handleUnload(c: Context, ctx: RouteContext, model: string): Promise<Response> {
  try {
    const body = await readJsonBody(c, ctx);
    const params = (body.parameters ?? {}) as Record<string, unknown>;
    const flag = params.unload_dependents;
    if (flag !== undefined && typeof flag !== 'boolean') {
      throw invalidArg(`Unable to parse 'unload_dependents': attempt to access JSON non-boolean as boolean`);
    }
    const res = await settle(() => ctx.server.unload(model, { unloadDependents: flag === true }));
    await audit(c, ctx, { action: 'unload', model, config_override: false, files: 0 }, res);
    return res;
  } catch (e) {
    return toErrorResponse(e);
  }
}

function decodeBase64(key: string, value: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(value);
  } catch {
    throw invalidArg(`load parameter '${key}' is not valid base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
