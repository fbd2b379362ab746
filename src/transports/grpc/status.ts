import { type ErrorCode, isServerError } from '../../core/index.ts';
import { Code, ConnectError } from '@connectrpc/connect';

/** Triton's mapping from error codes to gRPC status codes (server src/grpc/grpc_utils.cc; the only place it lives). */
const STATUS: Record<ErrorCode, Code> = {
  INTERNAL: Code.Internal,
  NOT_FOUND: Code.NotFound,
  INVALID_ARG: Code.InvalidArgument,
  UNAVAILABLE: Code.Unavailable,
  UNSUPPORTED: Code.Unimplemented,
  ALREADY_EXISTS: Code.AlreadyExists,
  CANCELLED: Code.Canceled,
  UNKNOWN: Code.Unknown,
};

/** The gRPC status code of anything thrown (a ServerError by its code, anything else INTERNAL). */
export function grpcCode(e: unknown): Code {
  if (e instanceof ConnectError) return e.code;
  return isServerError(e) ? (STATUS[e.code] ?? Code.Unknown) : Code.Internal;
}

/** The message a client reads: the core's text as it is (ConnectError's own prefix left out). */
export function grpcMessage(e: unknown): string {
  if (e instanceof ConnectError) return e.rawMessage;
  if (isServerError(e)) return e.message;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Turns anything thrown by the core into the ConnectError that ends the call with Triton's status. */
export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  return new ConnectError(grpcMessage(e), grpcCode(e), undefined, undefined, e);
}

/** Runs a handler body, turning a thrown core error into its gRPC status. */
export async function rpc<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toConnectError(e);
  }
}
