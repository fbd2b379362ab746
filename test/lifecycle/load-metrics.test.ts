import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsApp } from '../../src/platform/node/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { parseExposition, type Sample, sampleValue } from '../helpers/exposition.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Load metrics scraped from a real server's /metrics after successful and failed loads: the last
 * load's duration, result and time per model version, a per-model histogram of load times, the
 * failure counter, and nereid_build_info. Expected values come from the test's own clock and the
 * loads it makes.
 */
const IO = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;

let repo: string;
let t: TestServer;
beforeAll(async () => {
  repo = tmpTree({
    'good/config.pbtxt': IO,
    'good/1/model.onnx': addSubModel(),
    'bad/config.pbtxt': IO.replace('INPUT1" data_type: TYPE_FP32', 'INPUT1" data_type: TYPE_INT64'),
    'bad/1/model.onnx': addSubModel(),
    'broken/config.pbtxt': 'max_batch_size: {',
    'broken/1/model.onnx': addSubModel(),
  });
  t = await startServer({ repositories: [repo], controlMode: 'explicit', exitOnError: false });
});
afterAll(() => t.stop());

const scrape = async (): Promise<Sample[]> => {
  const res = await createMetricsApp(t.server).request('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).samples;
};
/** Loads `model` and returns the wall-clock window (seconds) it happened in and whether it succeeded. */
const timedLoad = async (model: string) => {
  const from = Date.now() / 1000;
  const ok = await t.server.load(model).then(
    () => true,
    () => false,
  );
  return { from, to: Date.now() / 1000, ok };
};
const v = (model: string, version = '1') => ({ model, version, namespace: '' });

describe('load metrics', () => {
  it('nereid_build_info names the version from package.json and the runtime', async () => {
    expect(sampleValue(await scrape(), 'nereid_build_info', { version: VERSION, runtime: 'node' })).toBe(1);
  });

  it('a successful load: its duration, result 1 and end time, one histogram observation', async () => {
    const load = await timedLoad('good');
    expect(load.ok).toBe(true);
    const s = await scrape();
    const duration = sampleValue(s, 'nereid_model_load_duration_seconds', v('good'))!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThanOrEqual(load.to - load.from + 0.002);
    expect(sampleValue(s, 'nereid_model_last_load_success', v('good'))).toBe(1);
    const at = sampleValue(s, 'nereid_model_last_load_timestamp_seconds', v('good'))!;
    expect(at).toBeGreaterThanOrEqual(load.from - 0.001);
    expect(at).toBeLessThanOrEqual(load.to + 0.001);
    expect(sampleValue(s, 'nereid_model_load_time_seconds_count', { model: 'good', namespace: '' })).toBe(1);
    expect(sampleValue(s, 'nereid_model_load_time_seconds_sum', { model: 'good', namespace: '' })).toBeCloseTo(duration, 9);
    expect(sampleValue(s, 'nereid_model_load_failures_total', { model: 'good', namespace: '' })).toBe(0);
  });

  it('a version that fails to load: result 0 and the failure counted', async () => {
    expect((await timedLoad('bad')).ok).toBe(false);
    const s = await scrape();
    expect(sampleValue(s, 'nereid_model_last_load_success', v('bad'))).toBe(0);
    expect(sampleValue(s, 'nereid_model_load_failures_total', { model: 'bad', namespace: '' })).toBe(1);
    expect(sampleValue(s, 'nereid_model_state', { ...v('bad'), state: 'UNAVAILABLE' })).toBe(1);
  });

  it('a config that cannot be read fails at model level (empty version), cleared once it loads', async () => {
    expect((await timedLoad('broken')).ok).toBe(false);
    let s = await scrape();
    expect(sampleValue(s, 'nereid_model_last_load_success', v('broken', ''))).toBe(0);
    expect(sampleValue(s, 'nereid_model_load_failures_total', { model: 'broken', namespace: '' })).toBe(1);
    writeFileSync(join(repo, 'broken/config.pbtxt'), IO);
    expect((await timedLoad('broken')).ok).toBe(true);
    s = await scrape();
    expect(sampleValue(s, 'nereid_model_last_load_success', v('broken', ''))).toBeUndefined();
    expect(sampleValue(s, 'nereid_model_last_load_success', v('broken'))).toBe(1);
    expect(sampleValue(s, 'nereid_model_load_time_seconds_count', { model: 'broken', namespace: '' })).toBe(2);
  });

  it('a failed reload: result 0 while the previous version keeps serving', async () => {
    writeFileSync(join(repo, 'good/config.pbtxt'), IO.replace('dims: [ 16 ] }, { name: "INPUT1"', 'dims: [ 8 ] }, { name: "INPUT1"'));
    const load = await timedLoad('good');
    expect(load.ok).toBe(false);
    const s = await scrape();
    expect(sampleValue(s, 'nereid_model_last_load_success', v('good'))).toBe(0);
    expect(sampleValue(s, 'nereid_model_state', { ...v('good'), state: 'READY' })).toBe(1);
    expect(sampleValue(s, 'nereid_model_load_failures_total', { model: 'good', namespace: '' })).toBe(1);
    expect(sampleValue(s, 'nereid_model_load_time_seconds_count', { model: 'good', namespace: '' })).toBe(2);
    expect(sampleValue(s, 'nereid_model_last_load_timestamp_seconds', v('good'))).toBeGreaterThanOrEqual(load.from - 0.001);
  });
});
