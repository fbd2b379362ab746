import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

/** Triton's API categories for --http-restricted-api. */
export const API_CATEGORIES = [
  'health',
  'metadata',
  'inference',
  'shared-memory',
  'model-config',
  'model-repository',
  'statistics',
  'trace',
  'logging',
] as const;
export type ApiCategory = (typeof API_CATEGORIES)[number];

export interface RestrictionRule {
  categories: ApiCategory[];
  header: string;
  value: string;
}

/** Parses `CATEGORY[,CATEGORY...]:HEADER=VALUE` (Triton's syntax; gRPC's KEY takes the HEADER's place). `flag` names it in errors. */
export function parseRestriction(spec: string, flag = '--http-restricted-api'): RestrictionRule {
  const colon = spec.indexOf(':');
  const eq = spec.indexOf('=', colon + 1);
  if (colon <= 0 || eq <= colon + 1)
    throw new Error(`invalid ${flag} '${spec}': expected CATEGORY[,CATEGORY]:${flag === '--http-restricted-api' ? 'HEADER' : 'KEY'}=VALUE`);
  const categories = spec
    .slice(0, colon)
    .split(',')
    .map((c) => c.trim());
  for (const c of categories) {
    if (!(API_CATEGORIES as readonly string[]).includes(c))
      throw new Error(`invalid ${flag} '${spec}': unknown category '${c}' (categories: ${API_CATEGORIES.join(', ')})`);
  }
  return {
    categories: categories as ApiCategory[],
    header: spec
      .slice(colon + 1, eq)
      .trim()
      .toLowerCase(),
    value: spec.slice(eq + 1),
  };
}

const MODEL = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?(?:\/(.+))?$/;

/** Which category a request belongs to (as Triton's HTTP frontend classifies its endpoints). */
export function apiCategory(path: string): ApiCategory | undefined {
  if (path === '/v2' || path === '/v2/') return 'metadata';
  if (path.startsWith('/v2/health')) return 'health';
  if (path === '/v2/models/stats') return 'statistics';
  if (path.startsWith('/v2/repository')) return 'model-repository';
  if (path.startsWith('/v2/systemsharedmemory') || path.startsWith('/v2/cudasharedmemory')) return 'shared-memory';
  if (path.startsWith('/v2/trace')) return 'trace';
  if (path.startsWith('/v2/logging')) return 'logging';
  const m = MODEL.exec(path);
  if (!m) return undefined;
  switch (m[1]) {
    case undefined:
      return 'metadata';
    case 'ready':
      return 'health';
    case 'config':
      return 'model-config';
    case 'stats':
      return 'statistics';
    case 'infer':
    case 'generate':
    case 'generate_stream':
      return 'inference';
    case 'trace/setting':
      return 'trace';
    default:
      return undefined;
  }
}

/** 403 `This API is restricted, expecting header '<header>'` for requests without the right header. */
export function restrictedApi(rules: RestrictionRule[]): MiddlewareHandler {
  const byCategory = new Map<ApiCategory, RestrictionRule>();
  for (const r of rules) {
    for (const c of r.categories) {
      if (byCategory.has(c)) throw new Error(`--http-restricted-api: category '${c}' is restricted twice`);
      byCategory.set(c, r);
    }
  }
  return async (c, next) => {
    const category = apiCategory(new URL(c.req.url).pathname);
    const rule = category ? byCategory.get(category) : undefined;
    if (rule && c.req.header(rule.header) !== rule.value) return errorResponse(403, `This API is restricted, expecting header '${rule.header}'`);
    await next();
  };
}
