import type { Transport } from './client.ts';
import { httpPerfClient } from './http-client.ts';
import { type InputData, requestSpecs } from './inputs.ts';
import { type LevelResult, measureLevel } from './measure.ts';
import { PerfError, resolveModelInfo } from './model-info.ts';
import type { PerfClient } from './perf-client.ts';
import { describe, toCsv } from './report.ts';

export { PerfError, type ModelInfo, type TensorMeta } from './model-info.ts';
export type { LevelResult } from './measure.ts';
export { type InputData, parseInputFile } from './inputs.ts';
export { toCsv } from './report.ts';
export { fetchTransport, type Transport } from './client.ts';
export { httpPerfClient } from './http-client.ts';
export type { ModelDescription, PerfClient, RequestSpec, RequestTensor, Sample, Send, SequenceFlags, ServerCounters } from './perf-client.ts';
export { type DecodedOutput, validateOutputs } from './validate.ts';

export interface PerfOptions {
  /** The server's HTTP base URL, e.g. http://localhost:8000, when no `client` is given. */
  url?: string;
  /** How to reach the server (default: the HTTP client for `url`); the caller closes it. */
  client?: PerfClient;
  model: string;
  version?: string;
  batch: number;
  /** [start, end, step]; exactly one of concurrency and rate. */
  concurrency?: [number, number, number];
  rate?: [number, number, number];
  inputData: InputData;
  shapes: Map<string, number[]>;
  /** HTTP only: tensors in binary form rather than JSON. */
  binary: boolean;
  /** Window length (perf_analyzer's --measurement-interval), ms. */
  intervalMs: number;
  /** Windows agree when max/min stays within this percentage (--stability-percentage). */
  stabilityPct: number;
  /** Windows measured at most (--max-trials). */
  maxTrials: number;
  /** Latency used for stability and reported as the headline (--percentile), else the average. */
  percentile?: number;
  /** Requests per sequence for sequence models (--sequence-length). */
  sequenceLength: number;
  /** First correlation id to use. */
  sequenceIdStart: number;
  /** How HTTP requests travel (default: fetch; the Node CLI passes a keep-alive node:http client). */
  transport?: Transport;
  /** Progress lines (a live status line) and per-level summaries. */
  onProgress?: (line: string) => void;
  onResult?: (summary: string) => void;
}

/** Parses `start:end:step` (end and step optional), as perf_analyzer does. */
export function parseRange(text: string, flag: string): [number, number, number] {
  const parts = text.split(':').map((p) => Number(p));
  if (parts.length > 3 || parts.some((p) => !Number.isFinite(p) || p <= 0))
    throw new PerfError(`invalid ${flag} '${text}': expected start[:end[:step]] with positive numbers`);
  const [start, end = start, step = 1] = parts as [number, number?, number?];
  if (end < start) throw new PerfError(`invalid ${flag} '${text}': end is below start`);
  const levels = Math.floor((end - start) / step) + 1;
  if (levels > 1000) throw new PerfError(`invalid ${flag} '${text}': more than 1000 levels`);
  return [start, end, step];
}

/** Runs perf_analyzer's measurement over every level of the range; returns the results and the CSV. */
export async function runPerf(opts: PerfOptions): Promise<{ results: LevelResult[]; csv: string }> {
  const client = opts.client ?? httpPerfClient(opts.url ?? 'http://localhost:8000', { binary: opts.binary, transport: opts.transport });
  const info = resolveModelInfo(await client.describe(opts.model, opts.version), opts.model, opts.version, opts.batch, opts.shapes);
  const mode = opts.rate ? 'rate' : 'concurrency';
  if (mode === 'rate' && info.sequence) throw new PerfError('request-rate mode is not supported for sequence models; use --concurrency-range');
  if (info.decoupled && !client.streaming) throw new PerfError(`model '${info.name}' is decoupled (0..N responses per request): use -i grpc --streaming`);
  const requests = requestSpecs(info, opts.inputData).map((spec) => client.prepare(info, spec));
  const [start, end, step] = opts.rate ?? opts.concurrency ?? [1, 1, 1];
  const results: LevelResult[] = [];
  for (let level = start; level <= end; level += step) {
    const r = await measureLevel({ ...opts, client, info, requests }, mode, level);
    results.push(r);
    opts.onResult?.(describe(r, opts.percentile));
  }
  return { results, csv: toCsv(results) };
}
