import type { Context } from 'hono';
import type { CancelSignal, ServerApi } from '../../core/index.ts';
import type { PendingLimit } from './limits.ts';
import type { RestrictionRule } from './restricted.ts';

/** One line of the audit log: every load, unload and config override. */
export interface AuditEntry {
  time: string;
  action: 'load' | 'unload';
  model: string;
  /** Versions serving after the action. */
  versions?: string[];
  config_override: boolean;
  files: number;
  source?: string;
  /** HTTP status, or the gRPC status code when `protocol` is 'grpc'. */
  status: number;
  result: string;
  /** Set for actions asked over gRPC. */
  protocol?: 'grpc';
}

/**
 * A platform's fast paths for inference bodies (Node: straight from and to the socket). Each may
 * decline (undefined), and the portable path is taken.
 */
export interface HttpIo {
  /** The whole body of a request of declared length in one buffer, binary section aligned. */
  readBody?(c: Context, limit: number): Promise<Uint8Array> | undefined;
  /** Writes a response as its parts without joining them; returns the response marking it sent. */
  writeParts?(c: Context, status: number, headers: Record<string, string>, parts: readonly Uint8Array[], byteLength: number): Response | undefined;
}

export interface HttpAppOptions {
  /** Which front-end thread serves (named in the request log when there are several). */
  thread?: string;
  /** The platform's fast paths for inference bodies. */
  io?: HttpIo;
  /** --http-max-input-size in bytes (default 64 MiB). */
  maxInputSize?: number;
  /** --http-restricted-api rules. */
  restricted?: RestrictionRule[];
  /** --http-cors-origin: allowed origins; CORS is off when unset. */
  corsOrigin?: string[];
  /** --http-max-pending: inference and repository requests in flight before 503. */
  maxPending?: number;
  /** Where audit entries go (default: the server's logger, as one JSON line). */
  audit?: (entry: AuditEntry) => void;
  /** The client's address (the platform knows it; e.g. the Node socket). */
  remoteAddress?: (c: Context) => string | undefined;
  /**
   * Tells queued inference that its client went away (default: the request's AbortSignal, made
   * only when a request has to wait). Called for every inference request, so it must be cheap.
   */
  cancelSignal?: (c: Context) => CancelSignal | undefined;
}

export interface RouteContext {
  server: ServerApi;
  io?: HttpIo;
  maxInputSize: number;
  audit: (entry: AuditEntry) => void;
  remoteAddress: (c: Context) => string | undefined;
  cancelSignal: (c: Context) => CancelSignal | undefined;
  /** --http-max-pending, when set. */
  pending?: PendingLimit;
  /** Set while the request log is on: tells it which version served an inference that named none. */
  noteServedVersion?: (c: Context, version: string) => void;
}

export const DEFAULT_MAX_INPUT_SIZE = 64 * 1024 * 1024;

export const json = (value: unknown, status = 200): Response =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

export const empty = (status = 200): Response => new Response(null, { status });

/** A CancelSignal that asks for the real signal only when it is first used. */
export function lazySignal(get: () => CancelSignal): CancelSignal {
  let signal: CancelSignal | undefined;
  const real = () => (signal ??= get());
  return {
    get aborted() {
      return real().aborted;
    },
    addEventListener(type, listener, options) {
      real().addEventListener(type, listener, options);
    },
  };
}
