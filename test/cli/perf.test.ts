import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulatorModel, addSubModel } from '../../src/tools/onnx/models.ts';
import { BIN, runCli, type CliServer, startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** `nereid perf` against a real `nereid serve` process, over TCP. */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
dynamic_batching { }
`;
const SEQ = `max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
sequence_batching {
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
}
`;
const HEADER =
  'Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency';

let srv: CliServer;
let dir: string;
beforeAll(async () => {
  dir = tmpTree({ 'm/config.pbtxt': CONFIG, 'm/1/model.onnx': addSubModel(), 'seq/config.pbtxt': SEQ, 'seq/1/model.onnx': accumulatorModel() });
  srv = await startCli(['--model-repository', dir]);
});
afterAll(() => srv.stop());

function perf(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'perf', '-u', srv.url.replace('http://', ''), '-p', '300', '--max-trials', '4', ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('nereid perf', () => {
  it('measures a concurrency range and writes perf_analyzer CSV', async () => {
    const csv = join(dir, 'out.csv');
    const r = await perf(['-m', 'm', '--concurrency-range', '1:3:2', '-f', csv]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Concurrency: 1, throughput: [\d.]+ infer\/sec, latency \d+ usec/);
    expect(r.stdout).toMatch(/Concurrency: 3, throughput:/);
    expect(r.stdout).toMatch(/errors 0, invalid responses 0/);
    expect(r.stdout).toMatch(/Server: inference count [1-9]\d*/);
    expect(r.stderr).toMatch(/concurrency 1: window 1\/4/);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(3);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((row) => row[0]).sort()).toEqual([1, 3]);
    expect(rows.every((row) => row[1]! > 0 && row[9]! > 0 && row[12]! >= row[9]!)).toBe(true);
    expect(rows[0]![1]).toBeLessThanOrEqual(rows[1]![1]!);
  });

  it('JSON tensors, batch size and request-rate mode', async () => {
    const csv = join(dir, 'rate.csv');
    const r = await perf(['-m', 'm', '--json', '-b', '4', '--request-rate-range', '50', '-f', csv]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Request Rate: 50, throughput: [\d.]+ infer\/sec/);
    const [header, row] = readFileSync(csv, 'utf8').trim().split('\n');
    expect(header!.startsWith('Request Rate,Inferences/Second,')).toBe(true);
    const throughput = Number(row!.split(',')[1]);
    expect(throughput).toBeGreaterThan(100);
    expect(throughput).toBeLessThan(260);
  });

  it('validates outputs against validation_data and counts invalid responses separately', async () => {
    const x = Array.from({ length: 16 }, (_, i) => i);
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify({ data: [{ INPUT0: x, INPUT1: x }], validation_data: [{ OUTPUT0: x.map((v) => 2 * v), OUTPUT1: x.map(() => 0) }] }));
    writeFileSync(bad, JSON.stringify({ data: [{ INPUT0: x, INPUT1: x }], validation_data: [{ OUTPUT0: x.map((v) => 2 * v + 1) }] }));
    const ok = await perf(['-m', 'm', '--input-data', good, '--max-trials', '3']);
    expect(ok.stdout).toMatch(/errors 0, invalid responses 0/);
    const wrong = await perf(['-m', 'm', '--input-data', bad, '--max-trials', '3']);
    expect(wrong.stdout).toMatch(/errors 0, invalid responses [1-9]/);
    expect(wrong.stdout).toMatch(/First error: output 'OUTPUT0' element 0 is 0, expected 1/);
  });

  it('drives sequence models with --sequence-length', async () => {
    const r = await perf(['-m', 'seq', '--sequence-length', '5', '--concurrency-range', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/errors 0, invalid responses 0/);
  });

  it('bad flags exit 2; an unknown model exits 1 with the server error', async () => {
    expect(runCli(['perf']).code).toBe(2);
    expect(runCli(['perf', '-m', 'm', '--concurrency-range', '0:2']).code).toBe(1);
    expect(runCli(['perf', '-m', 'm', '--bogus']).stderr.trim()).toBe("nereid perf: unknown flag '--bogus' (see --help)");
    const r = await perf(['-m', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Request for unknown model: 'nope' is not found");
  });
});
