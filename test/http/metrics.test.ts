import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsApp } from '../../src/platform/node/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startCli } from '../helpers/cli.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Prometheus metrics: the text must follow the exposition format, and the counts must match
 * the requests sent. The parser here is written for the test, from the format's rules.
 */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    const meta = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        expect(types.has(meta[2]!), `duplicate TYPE for ${meta[2]}`).toBe(false);
        types.set(meta[2]!, meta[3]!);
      } else helped.add(meta[2]!);
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const name = m![1]!;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(name) || types.get(family) === 'histogram', `sample before its TYPE: ${name}`).toBe(true);
    samples.push({ name, labels, value: m![4] === '+Inf' ? Infinity : Number(m![4]) });
  }
  for (const t of types.keys()) expect(helped.has(t), `no HELP for ${t}`).toBe(true);
  return { samples, types };
}

const X = Array.from({ length: 16 }, (_, i) => i);
const body = {
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X },
    { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: X },
  ],
};
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
dynamic_batching { }
`;

let t: TestServer;
beforeAll(async () => {
  const root = tmpTree({
    'a/m/config.pbtxt': CONFIG,
    'a/m/1/model.onnx': addSubModel(),
    'b/m/config.pbtxt': CONFIG,
    'b/m/1/model.onnx': addSubModel(),
    'b/broken/config.pbtxt': 'x {',
  });
  t = await startServer({ repositories: [`${root}/a`, `${root}/b`], namespacing: true, exitOnError: false });
});
afterAll(() => t.stop());

describe('GET /metrics', () => {
  it('follows the exposition format and counts what was sent, per namespace', async () => {
    for (let i = 0; i < 5; i++) expect((await t.request('/v2/models/a::m/infer', post(body))).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await t.request('/v2/models/b::m/infer', post(body))).status).toBe(200);
    expect((await t.request('/v2/models/a::m/infer', post({ inputs: body.inputs.slice(0, 1) }))).status).toBe(400);
    const res = await createMetricsApp(t.server).request('/metrics');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parseExposition(await res.text());
    const get = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const a = { model: 'm', version: '1', namespace: 'a' };
    const b = { model: 'm', version: '1', namespace: 'b' };
    expect(get('nv_inference_request_success', a).map((s) => s.value)).toEqual([5]);
    expect(get('nv_inference_request_success', b).map((s) => s.value)).toEqual([2]);
    expect(get('nv_inference_request_failure', a).map((s) => s.value)).toEqual([1]);
    expect(get('nv_inference_count', a).map((s) => s.value)).toEqual([5]);
    expect(get('nv_inference_exec_count', a)[0]!.value).toBeGreaterThanOrEqual(1);
    expect(get('nv_inference_pending_request_count', a).map((s) => s.value)).toEqual([0]);
    for (const n of [
      'nv_inference_request_duration_us',
      'nv_inference_queue_duration_us',
      'nv_inference_compute_input_duration_us',
      'nv_inference_compute_infer_duration_us',
      'nv_inference_compute_output_duration_us',
    ]) {
      expect(types.get(n), n).toBe('counter');
      expect(get(n, a)).toHaveLength(1);
    }
    expect(get('nv_inference_compute_infer_duration_us', a)[0]!.value).toBeGreaterThan(0);
    // Histograms: cumulative buckets, +Inf bucket equals _count.
    const buckets = get('nereid_inference_request_latency_seconds_bucket', a);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(6);
    expect(get('nereid_inference_request_latency_seconds_count', a)[0]!.value).toBe(6);
    expect(get('nereid_inference_batch_size_count', a)[0]!.value).toBe(get('nv_inference_exec_count', a)[0]!.value);
    expect(get('nereid_model_state', { ...a, state: 'READY' })[0]!.value).toBe(1);
    expect(get('nereid_model_state', { ...a, state: 'LOADING' })[0]!.value).toBe(0);
    expect(get('nereid_model_load_failures_total', { model: 'broken', namespace: 'b' })[0]!.value).toBe(1);
  });

  it('the CLI serves it on --metrics-port', async () => {
    const root = tmpTree({ 'm/config.pbtxt': CONFIG, 'm/1/model.onnx': addSubModel() });
    const srv = await startCli(['--model-repository', root]);
    try {
      const url = srv.output().match(/Metrics server listening on (http:\/\/\S+)/)![1]!;
      await fetch(`${srv.url}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(body) });
      const text = await (await fetch(url)).text();
      expect(text).toContain('nv_inference_request_success{model="m",version="1",namespace=""} 1');
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await srv.stop();
    }
  });
});
