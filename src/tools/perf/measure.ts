import type { ModelInfo } from './model-info.ts';
import type { PerfClient, Sample, Send, SequenceFlags, ServerCounters } from './perf-client.ts';
import type { PerfOptions } from './index.ts';

/** The measurement settings of `PerfOptions` (documented there), plus what the run has prepared. */
export interface MeasureOptions
  extends Pick<PerfOptions, 'intervalMs' | 'stabilityPct' | 'maxTrials' | 'percentile' | 'sequenceLength' | 'sequenceIdStart' | 'onProgress'> {
  client: PerfClient;
  info: ModelInfo;
  requests: Send[];
}

export interface ServerBreakdown {
  queueUs: number;
  computeInputUs: number;
  computeInferUs: number;
  computeOutputUs: number;
  count: number;
}

export interface LevelResult {
  mode: 'concurrency' | 'rate';
  level: number;
  /** Inferences per second (requests × batch size). */
  throughput: number;
  requests: number;
  errors: number;
  invalid: number;
  avgUs: number;
  p50Us: number;
  p90Us: number;
  p95Us: number;
  p99Us: number;
  clientSendUs: number;
  clientRecvUs: number;
  server: ServerBreakdown;
  stable: boolean;
  firstError?: string;
}

interface Window {
  ms: number;
  samples: Sample[];
  server: ServerBreakdown;
}

const MAX_INFLIGHT = 4096;

function delta(a: ServerCounters | undefined, b: ServerCounters | undefined): ServerBreakdown {
  if (!a || !b || b.count <= a.count) return { queueUs: 0, computeInputUs: 0, computeInferUs: 0, computeOutputUs: 0, count: 0 };
  const n = b.count - a.count;
  const us = (x: number, y: number) => (y - x) / n / 1000;
  return {
    queueUs: us(a.queue, b.queue),
    computeInputUs: us(a.input, b.input),
    computeInferUs: us(a.infer, b.infer),
    computeOutputUs: us(a.output, b.output),
    count: n,
  };
}

/**
 * Drives one load level and measures it the way perf_analyzer does: consecutive windows of
 * `intervalMs`; stable when the last three windows' throughput and latency stay within
 * `stabilityPct`; at most `maxTrials` windows. Concurrency mode keeps N requests outstanding;
 * rate mode sends at a fixed schedule. Each concurrent client is a lane (a stream of its own
 * when the client streams); rate mode sends every request on lane 0.
 */
export async function measureLevel(opts: MeasureOptions, mode: 'concurrency' | 'rate', level: number): Promise<LevelResult> {
  let current: Sample[] = [];
  let stopping = false;
  let nextSeq = opts.sequenceIdStart;
  let k = 0;
  const one = async (lane: number, seq?: SequenceFlags) => {
    const send = opts.requests[k++ % opts.requests.length]!;
    current.push(await send(seq, lane));
  };
  const worker = async (lane: number) => {
    while (!stopping) {
      if (!opts.info.sequence) {
        await one(lane);
        continue;
      }
      const id = nextSeq++;
      for (let i = 0; i < opts.sequenceLength && !stopping; i++) {
        await one(lane, { id, start: i === 0, end: i === opts.sequenceLength - 1 });
      }
    }
  };
  const inflight = new Set<Promise<void>>();
  const dispatcher = async () => {
    const start = performance.now();
    let sent = 0;
    while (!stopping) {
      const due = start + (sent * 1000) / level;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
      if (performance.now() < due || stopping) continue;
      if (inflight.size >= MAX_INFLIGHT) {
        await Promise.race(inflight);
        continue;
      }
      const p = one(0).finally(() => inflight.delete(p));
      inflight.add(p);
      sent++;
    }
    await Promise.all(inflight);
  };
  const running = mode === 'concurrency' ? Array.from({ length: level }, (_, lane) => worker(lane)) : [dispatcher()];
  const windows: Window[] = [];
  let stable = false;
  try {
    for (let trial = 0; trial < opts.maxTrials; trial++) {
      const before = await opts.client.statistics(opts.info);
      current = [];
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, opts.intervalMs));
      const samples = current;
      const ms = performance.now() - t0;
      windows.push({ ms, samples, server: delta(before, await opts.client.statistics(opts.info)) });
      const last = summarize(opts, mode, level, windows.slice(-1), false);
      opts.onProgress?.(
        `${mode === 'concurrency' ? 'concurrency' : 'request rate'} ${level}: window ${trial + 1}/${opts.maxTrials}, ${last.throughput.toFixed(1)} infer/sec, ${(opts.percentile ? last.p99Us : last.avgUs).toFixed(0)} usec`,
      );
      if (windows.length >= 3 && isStable(opts, windows.slice(-3))) {
        stable = true;
        break;
      }
    }
  } finally {
    stopping = true;
    await Promise.all(running);
  }
  return summarize(opts, mode, level, windows.slice(-3), stable);
}

function headline(opts: MeasureOptions, samples: Sample[]): number {
  const lat = samples.filter((s) => s.outcome === 'ok').map((s) => s.latency);
  if (lat.length === 0) return 0;
  return opts.percentile ? percentile(lat, opts.percentile) : lat.reduce((a, b) => a + b, 0) / lat.length;
}

function isStable(opts: MeasureOptions, ws: Window[]): boolean {
  const within = (xs: number[]) => Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) <= 1 + opts.stabilityPct / 100;
  return within(ws.map((w) => w.samples.length / w.ms)) && within(ws.map((w) => headline(opts, w.samples)));
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summarize(opts: MeasureOptions, mode: 'concurrency' | 'rate', level: number, ws: Window[], stable: boolean): LevelResult {
  const samples = ws.flatMap((w) => w.samples);
  const ok = samples.filter((s) => s.outcome === 'ok');
  const ms = ws.reduce((n, w) => n + w.ms, 0);
  const lat = ok.map((s) => s.latency * 1000);
  const avg = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const batch = opts.info.maxBatchSize > 0 ? (opts.info.inputs[0]?.shape[0] ?? 1) : 1;
  const serverCount = ws.reduce((n, w) => n + w.server.count, 0);
  const weighted = (f: (s: ServerBreakdown) => number) => (serverCount === 0 ? 0 : ws.reduce((n, w) => n + f(w.server) * w.server.count, 0) / serverCount);
  const failed = samples.find((s) => s.outcome !== 'ok');
  return {
    mode,
    level,
    throughput: ms === 0 ? 0 : (ok.length * batch * 1000) / ms,
    requests: samples.length,
    errors: samples.filter((s) => s.outcome === 'error').length,
    invalid: samples.filter((s) => s.outcome === 'invalid').length,
    avgUs: avg(lat),
    p50Us: percentile(lat, 50),
    p90Us: percentile(lat, 90),
    p95Us: percentile(lat, 95),
    p99Us: percentile(lat, 99),
    clientSendUs: avg(ok.map((s) => s.send * 1000)),
    clientRecvUs: avg(ok.map((s) => s.recv * 1000)),
    server: {
      queueUs: weighted((s) => s.queueUs),
      computeInputUs: weighted((s) => s.computeInputUs),
      computeInferUs: weighted((s) => s.computeInferUs),
      computeOutputUs: weighted((s) => s.computeOutputUs),
      count: serverCount,
    },
    stable,
    firstError: failed?.detail,
  };
}
