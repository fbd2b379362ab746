import type { Context, Hono } from 'hono';
import { invalidArg, isLogFormat, LOG_FILE_REFUSED, type LogSettingsUpdate, serverError, unsupported } from '../../../core/index.ts';
import { readBody } from '../body.ts';
import { json, type RouteContext } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';

/** Each setting's JSON type, as Triton's HandleLogging reads it. */
const TYPES: Record<string, 'boolean' | 'unsigned-integer' | 'string'> = {
  log_info: 'boolean',
  log_warning: 'boolean',
  log_error: 'boolean',
  log_verbose_level: 'unsigned-integer',
  log_format: 'string',
};

/**
 * Triton's logging extension: GET /v2/logging shows the live log settings, POST changes any of
 * them and answers with all of them. The same settings as gRPC LogSettings (the logger's own).
 */
export function loggingRoutes(app: Hono, ctx: RouteContext): void {
  app.all('/v2/logging', async (c) => {
    if (c.req.method !== 'GET' && c.req.method !== 'POST') return methodNotAllowed();
    return json(await ctx.server.logSettings(c.req.method === 'POST' ? await update(c, ctx) : undefined));
  });
}

/** Checks every value first (a request with one bad value changes nothing); null leaves a setting as it is. */
async function update(c: Context, ctx: RouteContext): Promise<LogSettingsUpdate> {
  const text = new TextDecoder().decode(await readBody(c.req.raw, ctx.maxInputSize, false)).trim();
  let body: unknown = {};
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw invalidArg(`failed to parse the request JSON buffer: ${(e as Error).message}`);
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArg('failed to parse the request JSON buffer: expected a JSON object');
  const values = body as Record<string, unknown>;
  if (values.log_file !== undefined && values.log_file !== null) throw unsupported(LOG_FILE_REFUSED);
  const changes: Record<string, unknown> = {};
  for (const [key, type] of Object.entries(TYPES)) {
    const v = values[key];
    if (v === undefined || v === null) continue;
    const ok = type === 'boolean' ? typeof v === 'boolean' : type === 'string' ? typeof v === 'string' : Number.isInteger(v) && (v as number) >= 0;
    if (!ok) throw invalidArg(`Unable to parse '${key}': attempt to access JSON non-${type} as ${type}`);
    changes[key] = v;
  }
  if (typeof changes.log_format === 'string' && !isLogFormat(changes.log_format)) {
    throw serverError('UNAVAILABLE', `invalid argument for --log_format, got: ${changes.log_format}`);
  }
  return changes as LogSettingsUpdate;
}
