import type { ModelInfo, TensorMeta } from './model-info.ts';

/** One request's outcome as the measurement counts it. */
export interface Sample {
  /** Milliseconds from starting the request to having validated its (final) response. */
  latency: number;
  /** Building the request (ms). */
  send: number;
  /** Reading, decoding and validating the response after it arrived (ms). */
  recv: number;
  outcome: 'ok' | 'error' | 'invalid';
  detail?: string;
}

export interface SequenceFlags {
  id: number;
  start: boolean;
  end: boolean;
}

/** What a server says about a model: its metadata (shapes as declared, -1 variable) and what the config adds. */
export interface ModelDescription {
  versions?: string[];
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  maxBatchSize: number;
  sequence: boolean;
  /** model_transaction_policy.decoupled: 0..N responses per request. */
  decoupled: boolean;
}

/** Cumulative server-side counters of a model version (ModelStatistics), durations in nanoseconds. */
export interface ServerCounters {
  count: number;
  queue: number;
  input: number;
  infer: number;
  output: number;
}

/** One input tensor of a prepared request, in both forms a protocol may send: raw little-endian bytes and JSON values. */
export interface RequestTensor {
  name: string;
  datatype: string;
  shape: number[];
  bytes: Uint8Array;
  json: unknown[];
}

/** The data of one request (perf_analyzer's one `data` entry) and its expected outputs (`validation_data`), flattened. */
export interface RequestSpec {
  inputs: RequestTensor[];
  expected?: Record<string, unknown[]>;
}

/**
 * Sends one prepared request and resolves with its sample (never rejects). `lane` is the
 * concurrent client it belongs to (a concurrency-mode worker; 0 in rate mode): a streaming client
 * keeps one stream per lane.
 */
export type Send = (seq: SequenceFlags | undefined, lane: number) => Promise<Sample>;

/**
 * How the load generator talks to a server: HTTP (http-client.ts, fetch-based, shared) or a
 * platform's own, e.g. the Node CLI's gRPC client. Errors that stop the run are PerfErrors.
 */
export interface PerfClient {
  /** Requests travel on streams (gRPC ModelStreamInfer): decoupled models can be measured. */
  readonly streaming: boolean;
  /** The model's metadata and config. */
  describe(model: string, version: string | undefined): Promise<ModelDescription>;
  /** The model version's counters now; undefined when the server gives none. */
  statistics(info: ModelInfo): Promise<ServerCounters | undefined>;
  /** Builds a request once; the returned function sends it as often as asked. */
  prepare(info: ModelInfo, spec: RequestSpec): Send;
}
