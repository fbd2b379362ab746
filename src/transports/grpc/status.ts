import { type ErrorCode, isServerError } from '../../core/index.ts';
import { status } from '@grpc/grpc-js';

/** A call's end as grpc-js sends it: the status code and its message (grpc-message). */
export interface GrpcStatus {
  code: status;
  details: string;
}

/** Triton's mapping from error codes to gRPC status codes (server src/grpc/grpc_utils.cc; the only place it lives). */
const STATUS: Record<ErrorCode, status> = {
  INTERNAL: status.INTERNAL,
  NOT_FOUND: status.NOT_FOUND,
  INVALID_ARG: status.INVALID_ARGUMENT,
  UNAVAILABLE: status.UNAVAILABLE,
  UNSUPPORTED: status.UNIMPLEMENTED,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  CANCELLED: status.CANCELLED,
  UNKNOWN: status.UNKNOWN,
};

/** The gRPC status code of anything thrown (a ServerError by its code, anything else INTERNAL). */
export function grpcCode(e: unknown): status {
  return isServerError(e) ? (STATUS[e.code] ?? status.UNKNOWN) : status.INTERNAL;
}

/** The message a client reads: the core's text as it is. */
export function grpcMessage(e: unknown): string {
  if (isServerError(e)) return e.message;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * The status that ends a call with anything thrown, as grpc-js takes it (an Error carrying `code`
 * and `details`). Lone surrogates are replaced: grpc-js percent-encodes the message with encodeURI.
 */
export function toStatus(e: unknown): GrpcStatus & Error {
  const details = grpcMessage(e).replace(/\p{Cs}/gu, '\uFFFD');
  return { name: 'GrpcStatus', message: details, code: grpcCode(e), details };
}
