import type { ModelManager } from '../lifecycle/model-manager.ts';
import { MODEL_STATES } from '../lifecycle/version-state.ts';
import { Exposition, type Labels } from './exposition.ts';

/**
 * GET /metrics: Triton's per-model metric names (so existing dashboards and autoscaling rules
 * keep working) with `model`, `version` and `namespace` labels, plus latency and batch-size
 * histograms and model state / load failure series.
 */
export function renderMetrics(manager: ModelManager): string {
  const out = new Exposition();
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
  return out.toString();
}
