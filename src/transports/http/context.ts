import type { InferenceServer } from '../../core/server.ts';

export interface HttpAppOptions {
  /** --http-max-input-size in bytes (default 64 MiB). */
  maxInputSize?: number;
}

export interface RouteContext {
  server: InferenceServer;
  maxInputSize: number;
}

export const DEFAULT_MAX_INPUT_SIZE = 64 * 1024 * 1024;

export const json = (value: unknown, status = 200): Response =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

export const empty = (status = 200): Response => new Response(null, { status });
