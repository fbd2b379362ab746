import type { Context, Hono } from 'hono';
import { unsupported } from '../../../core/index.ts';
import { methodNotAllowed, toErrorResponse } from '../errors.ts';

/**
 * Triton routes these paths (triton-protocol.md §1.1) to extensions Nereid does not implement.
 * A client that uses one gets 501 with a message naming the extension and what to do instead,
 * not a bare 404 `Not Found` that reads like a typo in its URL. A method Triton's handler would
 * refuse is 405, as there. `--http-restricted-api` (shared-memory, trace) still applies first.
 */
const SHM_HINT = 'send tensor data in the request body instead (JSON, or binary with the binary tensor extension)';
const SYSTEM_SHM = `system shared memory (the shared-memory extension) is not supported by this server: ${SHM_HINT}`;
const CUDA_SHM = `CUDA shared memory (the shared-memory extension) is not supported by this server: ${SHM_HINT}`;
const TRACE = 'the trace extension is not supported by this server';
const GRPC = 'gRPC is served on its own port (--grpc-port, 8001 by default) over HTTP/2, not on the HTTP port: point the gRPC client there';

/** 501 `message` for `methods`, 405 for any other method. */
function refuse(methods: readonly string[], message: string): (c: Context) => Response {
  return (c) => (methods.includes(c.req.method) ? toErrorResponse(unsupported(message)) : methodNotAllowed());
}

const GET_POST = ['GET', 'POST'] as const;

export function unsupportedRoutes(app: Hono): void {
  for (const [kind, message] of [
    ['systemsharedmemory', SYSTEM_SHM],
    ['cudasharedmemory', CUDA_SHM],
  ] as const) {
    // status is GET, register/unregister POST (Triton's HandleSystemSharedMemory/HandleCudaSharedMemory).
    for (const prefix of [`/v2/${kind}`, `/v2/${kind}/region/:region`]) {
      app.all(`${prefix}/status`, refuse(['GET'], message));
      app.all(`${prefix}/:action{register|unregister}`, refuse(['POST'], message));
    }
  }
  app.all('/v2/trace/setting', refuse(GET_POST, TRACE));
  // Only without /versions/{v}: with a version Triton's router falls through to 404.
  app.all('/v2/models/:model/trace/setting', refuse(GET_POST, TRACE));
  // Triton's gRPC service (inference.GRPCInferenceService) called on the HTTP port (gRPC-Web, or a client pointed at the wrong port).
  app.all('/inference.GRPCInferenceService/*', () => toErrorResponse(unsupported(GRPC)));
}
