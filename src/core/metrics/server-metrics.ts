import type { ModelManager } from '../lifecycle/model-manager.ts';
import { MODEL_STATES } from '../lifecycle/version-state.ts';
import { Exposition, type HistogramData, type Labels } from './exposition.ts';
import { type LoadHistory, MODEL_LEVEL } from './load-history.ts';
import { tensorCopies } from '../stats/copies.ts';

/** What /metrics reports beside the models: the build, and the load history the lifecycle records. */
export interface MetricsContext {
  build: { version: string; runtime: string };
  loads?: LoadHistory;
}

/**
 * GET /metrics: Triton's per-model metric names (so existing dashboards and autoscaling rules
 * keep working) with `model`, `version` and `namespace` labels, plus latency and batch-size
 * histograms and model state / load failure series.
 */
export function renderMetrics(manager: ModelManager, ctx: MetricsContext): string {
  const out = new Exposition();
  out
    .gauge('nereid_build_info', 'Nereid build: version and JavaScript runtime (always 1)', [{ labels: { ...ctx.build }, value: 1 }])
    .counter(
      'nereid_tensor_bytes_copied_total',
      'Bytes of tensor data copied on the request path (reading bodies, merging batches, handing inputs to session threads, output copies, response parts), all models and threads',
      [{ labels: {}, value: tensorCopies.bytes }],
    );
  const versions = [...manager.servingVersions()].map((mv) => ({
    mv,
    labels: { model: mv.id.name, version: String(mv.version), namespace: mv.id.namespace } as Labels,
  }));
  const series = (f: (s: (typeof versions)[number]['mv']['stats']) => number) => versions.map(({ mv, labels }) => ({ labels, value: f(mv.stats) }));
  const us = (ns: number) => Math.round(ns / 1000);
  out
    .counter(
      'nv_inference_request_success',
      'Number of successful inference requests, all batch sizes',
      series((s) => s.success.count),
    )
    .counter(
      'nv_inference_request_failure',
      'Number of failed inference requests, all batch sizes',
      series((s) => s.fail.count),
    )
    .counter(
      'nv_inference_count',
      'Number of inferences performed (does not include cached requests)',
      series((s) => s.inferenceCount),
    )
    .counter(
      'nv_inference_exec_count',
      'Number of model executions performed (does not include cached requests)',
      series((s) => s.executionCount),
    )
    .counter(
      'nv_inference_request_duration_us',
      'Cumulative inference request duration in microseconds',
      series((s) => us(s.success.ns + s.fail.ns)),
    )
    .counter(
      'nv_inference_queue_duration_us',
      'Cumulative inference queuing duration in microseconds',
      series((s) => us(s.queue.ns)),
    )
    .counter(
      'nv_inference_compute_input_duration_us',
      'Cumulative compute input duration in microseconds',
      series((s) => us(s.computeInput.ns)),
    )
    .counter(
      'nv_inference_compute_infer_duration_us',
      'Cumulative compute inference duration in microseconds',
      series((s) => us(s.computeInfer.ns)),
    )
    .counter(
      'nv_inference_compute_output_duration_us',
      'Cumulative inference compute output duration in microseconds',
      series((s) => us(s.computeOutput.ns)),
    )
    .gauge(
      'nv_inference_pending_request_count',
      'Instantaneous number of pending requests awaiting execution per-model.',
      series((s) => s.pending),
    )
    .histogram(
      'nereid_inference_request_latency_seconds',
      'End-to-end inference request latency in seconds (successes and failures)',
      versions.map(({ mv, labels }) => ({ labels, data: mv.stats.latency.data() })),
    )
    .histogram(
      'nereid_inference_batch_size',
      'Elements per model execution',
      versions.map(({ mv, labels }) => ({ labels, data: mv.stats.batchSizes.data() })),
    );
  const states: { labels: Labels; value: number }[] = [];
  const failures: { labels: Labels; value: number }[] = [];
  for (const rec of manager.modelRecords()) {
    for (const [v, vr] of rec.versions) {
      for (const state of MODEL_STATES)
        states.push({ labels: { model: rec.id.name, version: String(v), namespace: rec.id.namespace, state }, value: vr.state === state ? 1 : 0 });
    }
    failures.push({ labels: { model: rec.id.name, namespace: rec.id.namespace }, value: rec.loadFailures });
  }
  out
    .gauge('nereid_model_state', 'Model version lifecycle state (1 for the current state)', states)
    .counter('nereid_model_load_failures_total', 'Failed model or model version loads', failures);
  if (ctx.loads) renderLoads(out, manager, ctx.loads);
  return out.toString();
}

type Sample = { labels: Labels; value: number };

/**
 * The last load of each model version (duration, success, time) and a per-model histogram of load
 * times. `version` is empty for a load that failed before any version could be read (its config).
 */
function renderLoads(out: Exposition, manager: ModelManager, loads: LoadHistory): void {
  const duration: Sample[] = [];
  const success: Sample[] = [];
  const time: Sample[] = [];
  const histograms: { labels: Labels; data: HistogramData }[] = [];
  const known = new Set<string>();
  const order = (a: string, b: string) => (a === MODEL_LEVEL ? -1 : b === MODEL_LEVEL ? 1 : Number(a) - Number(b));
  for (const rec of manager.modelRecords()) {
    known.add(rec.key);
    for (const [version, o] of [...loads.lastLoads(rec.key)].sort(([a], [b]) => order(a, b))) {
      const labels = { model: rec.id.name, version, namespace: rec.id.namespace };
      duration.push({ labels, value: o.durationMs / 1000 });
      success.push({ labels, value: o.ok ? 1 : 0 });
      time.push({ labels, value: o.endedAtMs / 1000 });
    }
    const h = loads.loadTimes(rec.key);
    if (h) histograms.push({ labels: { model: rec.id.name, namespace: rec.id.namespace }, data: h.data() });
  }
  loads.retain(known);
  out
    .gauge('nereid_model_load_duration_seconds', 'Duration of the last load attempt of a model version, in seconds', duration)
    .gauge('nereid_model_last_load_success', 'Whether the last load attempt of a model version succeeded (1) or failed (0)', success)
    .gauge('nereid_model_last_load_timestamp_seconds', 'When the last load attempt of a model version ended, in seconds since the epoch', time)
    .histogram('nereid_model_load_time_seconds', 'Load attempts of a model (all versions, successes and failures) by duration in seconds', histograms);
}
