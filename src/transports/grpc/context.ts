import type { ServerApi } from '../../core/index.ts';
import type { AuditEntry } from '../http/context.ts';
import type { RestrictionRule } from '../http/restricted.ts';

/** Options of the gRPC service (the CLI's --grpc-* flags). */
export interface GrpcServiceOptions {
  /** --grpc-restricted-protocol rules: the client sends `triton-grpc-protocol-<key>: <value>`. */
  restricted?: RestrictionRule[];
  /** Where audit entries go (default: the server's logger, as one JSON line). */
  audit?: (entry: AuditEntry) => void;
}

/**
 * What the gRPC service uses of a server: the InferenceServer itself, or anything that answers
 * the same calls of ServerApi (possibly later, from another thread): every answer is awaited.
 */
export type GrpcServer = Pick<
  ServerApi,
  | 'log'
  | 'isLive'
  | 'isReady'
  | 'metadata'
  | 'modelMetadata'
  | 'modelReady'
  | 'modelConfigMessage'
  | 'servingVersion'
  | 'isDecoupled'
  | 'modelStats'
  | 'infer'
  | 'inferStream'
  | 'index'
  | 'load'
  | 'unload'
  | 'logSettings'
>;

/** What every RPC handler reads. */
export interface GrpcContext {
  server: GrpcServer;
  audit: (entry: AuditEntry) => void;
  /** Set once the server begins to shut down: streams take no new requests and end when idle. */
  readonly draining: boolean;
  /** Calls `listener` when shutdown begins; returns a function that removes it. */
  onDrain(listener: () => void): () => void;
}

/** What a handler knows of its call (adapter.ts makes it from the grpc-js call). */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server closes. */
  readonly signal: AbortSignal;
  /** The first value of a request metadata header, as text. */
  header(name: string): string | undefined;
  /** The client's address (no port). */
  readonly peer: string | undefined;
}
