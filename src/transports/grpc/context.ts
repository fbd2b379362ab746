import type {
  IndexEntry,
  InferRequest,
  InferResponse,
  LoadOptions,
  Logger,
  LogSettingsUpdate,
  LogSettingsView,
  ModelConfig,
  ResponseSink,
} from '../../core/index.ts';
import type { AuditEntry } from '../http/context.ts';
import type { RestrictionRule } from '../http/restricted.ts';

/** Options of the gRPC service (the CLI's --grpc-* flags). */
export interface GrpcServiceOptions {
  /** --grpc-restricted-protocol rules: the client sends `triton-grpc-protocol-<key>: <value>`. */
  restricted?: RestrictionRule[];
  /** Where audit entries go (default: the server's logger, as one JSON line). */
  audit?: (entry: AuditEntry) => void;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * What the gRPC service uses of a server: the InferenceServer itself, or anything that answers
 * the same calls (possibly later, from another thread): every answer is awaited.
 */
export interface GrpcServer {
  readonly log: Logger;
  isLive(): MaybePromise<boolean>;
  isReady(): MaybePromise<boolean>;
  metadata(): MaybePromise<{ name: string; version: string; extensions: string[] }>;
  modelMetadata(model: string, version?: string): MaybePromise<Record<string, unknown>>;
  modelReady(model: string, version?: string): MaybePromise<boolean>;
  modelConfigMessage(model: string, version?: string): MaybePromise<ModelConfig>;
  servingVersion(model: string, version?: string): MaybePromise<string>;
  isDecoupled(model: string, version?: string): MaybePromise<boolean>;
  modelStats(model?: string, version?: string): MaybePromise<{ model_stats: Record<string, unknown>[] }>;
  infer(req: InferRequest, endpoint?: string): Promise<InferResponse>;
  inferStream(req: InferRequest, sink: ResponseSink): Promise<void>;
  index(readyOnly?: boolean): Promise<IndexEntry[]>;
  load(model: string, opts?: LoadOptions): Promise<void>;
  unload(model: string, opts?: { unloadDependents?: boolean }): Promise<void>;
  logSettings(update?: LogSettingsUpdate): MaybePromise<LogSettingsView>;
}

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
