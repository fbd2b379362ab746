import type { ModelConfig } from './config/gen/model_config_pb.ts';
import type { IndexEntry, LoadOptions } from './lifecycle/model-manager.ts';
import type { LogSettingsUpdate, LogSettingsView } from './log-settings.ts';
import type { Logger } from './log.ts';
import type { InferRequest, InferResponse, ResponseSink } from './types.ts';

export type MaybePromise<T> = T | Promise<T>;

/**
 * What transports use of a server: the InferenceServer itself on its own thread, or, in a
 * front-end thread, a proxy that asks the engine thread (transports/thread). Answers may come
 * back later, so transports await every call.
 */
export interface ServerApi {
  readonly log: Logger;
  isLive(): MaybePromise<boolean>;
  isReady(): MaybePromise<boolean>;
  /** Draining after SIGTERM/SIGINT: health answers 503 and new requests are refused. */
  isExiting(): MaybePromise<boolean>;
  metadata(): MaybePromise<{ name: string; version: string; extensions: string[] }>;
  modelMetadata(model: string, version?: string): MaybePromise<Record<string, unknown>>;
  modelReady(model: string, version?: string): MaybePromise<boolean>;
  modelConfig(model: string, version?: string): MaybePromise<Record<string, unknown>>;
  modelConfigMessage(model: string, version?: string): MaybePromise<ModelConfig>;
  servingVersion(model: string, version?: string): MaybePromise<string>;
  isDecoupled(model: string, version?: string): MaybePromise<boolean>;
  modelStats(model?: string, version?: string): MaybePromise<{ model_stats: Record<string, unknown>[] }>;
  infer(req: InferRequest, endpoint?: string): Promise<InferResponse>;
  inferStream(req: InferRequest, sink: ResponseSink): Promise<void>;
  index(readyOnly?: boolean): Promise<IndexEntry[]>;
  load(model: string, opts?: LoadOptions): Promise<void>;
  unload(model: string, opts?: { unloadDependents?: boolean }): Promise<void>;
  /**
   * The logging extension: the live log settings, changed by `update` first (checked for types by
   * the transport). One set of settings for the whole server, whichever thread is asked.
   */
  logSettings(update?: LogSettingsUpdate): MaybePromise<LogSettingsView>;
}
