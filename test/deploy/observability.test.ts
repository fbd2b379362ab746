// deploy/observability (and the autoscaler's adapter rule) use only metrics Nereid exports: every
// metric name in their PromQL must appear in a real server's /metrics after some traffic, apart
// from the series of kube-state-metrics and Prometheus itself and the recording rules defined here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpTree } from '../helpers/tmp.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { ADD_SUB_CONFIG, type Doc, expectAddSubWorks, GRPC_KNOWN, inferAddSub, parseYaml, readYaml, type ServeProcess, startServe } from './support.ts';

/** Series that come from elsewhere: kube-state-metrics' restart counter and Prometheus' own `up`. */
const EXTERNAL = new Set(['kube_pod_container_status_restarts_total', 'up']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * Metric names in a PromQL expression: strings, label matchers ({...}), ranges ([...]), grouping
 * clauses (by/without/on/ignoring/group_*(...)), offsets and numbers removed, an identifier followed by
 * "(" is a function, keywords dropped; what is left names a series. Grafana's variables
 * ($__rate_interval, $model) and prometheus-adapter's templates (<<.LabelMatchers>>) sit inside
 * matchers and ranges, or are replaced first.
 */
function metricNames(expr: string): string[] {
  const text = expr
    .replace(/<<\.GroupBy>>/g, 'pod')
    .replace(/<<\.LabelMatchers>>/g, 'pod="p"')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?(\d+[a-z]+)+/gi, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(^|[^\w:.])\d+(\.\d+)?([eE][+-]?\d+)?/g, '$1 ');
  const names = new Set<string>();
  for (const m of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = text.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

const dashboard = JSON.parse(readFileSync('deploy/observability/grafana-dashboard.json', 'utf8')) as Doc;
const [rule] = readYaml('deploy/observability/prometheus-rules.yaml');
const [adapterConfigMap] = readYaml('deploy/kubernetes/components/queue-time-autoscaling/prometheus-adapter-rules.yaml');

function dashboardExprs(): string[] {
  const panels = (dashboard.panels as Doc[]).flatMap((p) => [p, ...((p.panels as Doc[]) ?? [])]);
  const exprs = panels.flatMap((p) => ((p.targets as Doc[]) ?? []).map((t) => t.expr as string));
  exprs.push(...(dashboard.annotations.list as Doc[]).filter((a) => a.expr).map((a) => a.expr as string));
  // Template variables: label_values(METRIC{...}, label)
  for (const v of dashboard.templating.list as Doc[]) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = /label_values\((.+),\s*\w+\)$/.exec(q ?? '');
    if (m) exprs.push(m[1]!);
  }
  return exprs;
}

const ruleEntries = (rule!.spec.groups as Doc[]).flatMap((g) => g.rules as Doc[]);
const recorded = new Set(ruleEntries.filter((r) => r.record).map((r) => r.record as string));
const adapterRules = parseYaml(adapterConfigMap!.data['config.yaml'])[0]!.rules as Doc[];
const adapterExprs = adapterRules.flatMap((r) => [r.seriesQuery as string, r.metricsQuery as string]);

describe('the metric-name reader', () => {
  it('finds series names and nothing else', () => {
    expect(
      metricNames('sum by (model, version) (rate(foo_total{job=~"$job", le="0.5"}[$__rate_interval])) / clamp_min(bar:ratio, 1e-9) > 14.4 * 0.001'),
    ).toEqual(['bar:ratio', 'foo_total']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))')).toEqual(['x_bucket']);
    expect(metricNames('absent(up{job="nereid"})')).toEqual(['up']);
    expect(metricNames('a and on (pod) b unless ignoring (x) group_left (y) c offset 5m')).toEqual(['a', 'b', 'c']);
    expect(metricNames('sum by (<<.GroupBy>>) (rate(q_us{<<.LabelMatchers>>}[1m]))')).toEqual(['q_us']);
    expect(metricNames('time() - process_start_time_seconds')).toEqual(['process_start_time_seconds']);
  });
});

describe('dashboard, alert rules and adapter rule against a running server', () => {
  let srv: ServeProcess;
  let exported: Set<string>;
  beforeAll(async () => {
    // A repository with one good model and one that fails to load, served so that load failures,
    // every per-model family and both histograms have series.
    const repo = tmpTree({ 'add_sub/config.pbtxt': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel(), 'broken/config.pbtxt': 'max_batch_size: "x"' });
    srv = await startServe([
      `--model-repository=${repo}`,
      '--exit-on-error=false',
      '--strict-readiness=false',
      '--http-port=0',
      '--metrics-port=0',
      '--http-address=127.0.0.1',
      ...(GRPC_KNOWN ? ['--grpc-port=0', '--grpc-address=127.0.0.1'] : []),
    ]);
    for (let i = 0; i < 3; i++) await expectAddSubWorks(srv.url);
    expect((await inferAddSub(srv.url, [1], [2])).status).toBe(400); // a failed request too
    const text = await fetch(`${srv.metricsUrl}/metrics`).then((r) => r.text());
    exported = new Set(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
    );
  });
  afterAll(() => srv?.stop('SIGKILL'));

  const unknown = (names: string[]) => names.filter((n) => !exported.has(n) && !EXTERNAL.has(n) && !recorded.has(n));

  it('the server exports what the dashboard is built on, process_* series included', () => {
    for (const n of [
      'nv_inference_request_success',
      'nv_inference_request_failure',
      'nv_inference_queue_duration_us',
      'nv_inference_pending_request_count',
      'nereid_inference_request_latency_seconds_bucket',
      'nereid_inference_batch_size_bucket',
      'nereid_model_state',
      'nereid_model_load_failures_total',
      'nereid_model_last_load_success',
      'nereid_model_load_duration_seconds',
      'nereid_model_load_time_seconds_bucket',
      'nereid_build_info',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'process_start_time_seconds',
    ])
      expect(exported, n).toContain(n);
  });

  it('every metric the Grafana dashboard queries is exported', () => {
    const names = [...new Set(dashboardExprs().flatMap(metricNames))];
    expect(names.length).toBeGreaterThan(10);
    expect(unknown(names)).toEqual([]);
  });

  it('every metric the alert and recording rules use is exported (or recorded by them)', () => {
    const names = [...new Set(ruleEntries.flatMap((r) => metricNames(String(r.expr))))];
    expect(unknown(names)).toEqual([]);
    // What each alert watches.
    const alerts = Object.fromEntries(ruleEntries.filter((r) => r.alert).map((r) => [r.alert as string, String(r.expr)]));
    expect(Object.keys(alerts).sort()).toEqual([
      'NereidCrashLooping',
      'NereidErrorBudgetBurnFast',
      'NereidErrorBudgetBurnSlow',
      'NereidMetricsAbsent',
      'NereidModelLoadFailuresRepeated',
      'NereidModelNotReadyAnywhere',
      'NereidModelUnavailable',
      'NereidQueueTimeHigh',
      'NereidTargetDown',
    ]);
    expect(alerts.NereidMetricsAbsent).toMatch(/^absent\(up\{job="nereid"\}\)$/);
    expect(alerts.NereidCrashLooping).toContain('kube_pod_container_status_restarts_total');
    expect(alerts.NereidQueueTimeHigh).toContain('nv_inference_queue_duration_us');
    expect(alerts.NereidModelUnavailable).toContain('nereid_model_last_load_success');
    for (const r of ruleEntries.filter((x) => x.alert)) {
      expect(r.labels.severity, r.alert).toMatch(/^(page|ticket)$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
    }
  });

  it('every metric the prometheus-adapter rule reads is exported', () => {
    const names = [...new Set(adapterExprs.flatMap(metricNames))];
    expect(names).toEqual(['nv_inference_queue_duration_us', 'nv_inference_request_success']);
    expect(unknown(names)).toEqual([]);
  });

  it('the dashboard has the sections operators look for', () => {
    const rows = (dashboard.panels as Doc[]).filter((p) => p.type === 'row').map((p) => p.title as string);
    for (const section of [/rate, errors, latency/, /queue versus compute/i, /batching/i, /load state and failures/, /memory, CPU/])
      expect(
        rows.some((t) => section.test(t)),
        String(section),
      ).toBe(true);
    const ids = (dashboard.panels as Doc[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
