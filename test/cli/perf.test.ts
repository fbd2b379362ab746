import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
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
  dir = tmpTree({
    'm/config.pbtxt': CONFIG,
    'm/1/model.onnx': addSubModel(),
    'seq/config.pbtxt': SEQ,
    'seq/1/model.onnx': accumulatorModel(),
    // The decoupled example: for IN = n it answers n, n-1, ..., 0, 10 ms apart.
    'countdown_js/config.pbtxt': readFileSync('examples/models/countdown_js/config.pbtxt'),
    'countdown_js/1/model.js': readFileSync('examples/models/countdown_js/1/model.js'),
  });
  srv = await startCli(['--model-repository', dir]);
});
afterAll(() => srv.stop());

function perf(args: string[], url = srv.url.replace('http://', '')): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'perf', '-u', url, '-p', '300', '--max-trials', '4', ...args]);
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

/** perf_analyzer's validation_data for add_sub on x = 0..15: OUTPUT0 = x + x, OUTPUT1 = x - x; `off` spoils OUTPUT0. */
function addSubData(name: string, off = 0): string {
  const x = Array.from({ length: 16 }, (_, i) => i);
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ data: [{ INPUT0: x, INPUT1: x }], validation_data: [{ OUTPUT0: x.map((v) => v + v + off), OUTPUT1: x.map((v) => v - v) }] }),
  );
  return file;
}

describe('nereid perf -i grpc', () => {
  const grpc = (args: string[]) => perf(['-i', 'grpc', '--max-trials', '3', ...args], srv.grpc!);

  it('measures over ModelInfer, validates every response, takes statistics from ModelStatistics and writes the CSV', async () => {
    const csv = join(dir, 'grpc.csv');
    const ok = await grpc(['-m', 'm', '--input-data', addSubData('grpc-good.json'), '--concurrency-range', '1:2', '-f', csv]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Concurrency: 2, throughput: [\d.]+ infer\/sec/);
    expect(ok.stdout).not.toMatch(/errors [1-9]|invalid responses [1-9]/);
    expect(ok.stdout).toMatch(/Server: inference count [1-9]\d*\n {4}Avg request latency: [1-9]\d* usec/);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(expect.arrayContaining([1, 2]));
    const wrong = await grpc(['-m', 'm', '--input-data', addSubData('grpc-bad.json', 1)]);
    expect(wrong.stdout).toMatch(/errors 0, invalid responses [1-9]/);
    expect(wrong.stdout).toMatch(/First error: output 'OUTPUT0' element 0 is 0, expected 1/);
  });

  it('sends sequence_id, sequence_start and sequence_end on sequence models (the server refuses requests without them)', async () => {
    const r = await grpc(['-m', 'seq', '--sequence-length', '4', '--concurrency-range', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/request count [1-9]\d*, errors 0, invalid responses 0/);
  });

  it('--streaming: one stream per client for an ordinary model, validated; rate mode too', async () => {
    const ok = await grpc(['--streaming', '-m', 'm', '--input-data', addSubData('stream-good.json'), '--concurrency-range', '2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/request count [1-9]\d*, errors 0, invalid responses 0/);
    const wrong = await grpc(['--streaming', '-m', 'm', '--input-data', addSubData('stream-bad.json', 1), '--request-rate-range', '100']);
    expect(wrong.stdout).toMatch(/Request Rate: 100,/);
    expect(wrong.stdout).toMatch(/errors 0, invalid responses [1-9]/);
    expect(wrong.stdout).toMatch(/First error: output 'OUTPUT0' element 0 is 0, expected 1/);
  });

  it('--streaming on a decoupled model: latency runs to the final response; error_message is an error sample', async () => {
    const n = 3;
    const data = join(dir, 'countdown.json');
    writeFileSync(data, JSON.stringify({ data: [{ IN: [n] }] }));
    const r = await grpc(['--streaming', '-m', 'countdown_js', '--input-data', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/request count [1-9]\d*, errors 0, invalid responses 0/);
    // n + 1 responses, 10 ms apart: no request completes in less than n * 10 ms.
    const p50 = Number(r.stdout.match(/p50 (\d+) usec/)![1]);
    expect(p50).toBeGreaterThanOrEqual(n * 10_000);
    writeFileSync(data, JSON.stringify({ data: [{ IN: [2000] }] }));
    const bad = await grpc(['--streaming', '-m', 'countdown_js', '--input-data', data]);
    expect(bad.stdout).toMatch(/request count ([1-9]\d*), errors \1, invalid responses 0/);
    expect(bad.stdout).toContain('First error: ');
    expect(bad.stdout).toContain('IN must be from 0 to 1000, got 2000');
  });

  it('a decoupled model needs --streaming; --streaming needs -i grpc; --help lists both', async () => {
    const line = "nereid perf: model 'countdown_js' is decoupled (0..N responses per request): use -i grpc --streaming\n";
    const noStream = await grpc(['-m', 'countdown_js']);
    expect([noStream.code, noStream.stderr]).toEqual([1, line]);
    const overHttp = await perf(['-m', 'countdown_js']);
    expect([overHttp.code, overHttp.stderr]).toEqual([1, line]);
    const r = runCli(['perf', '-m', 'm', '--streaming']);
    expect([r.code, r.stderr]).toEqual([2, 'nereid perf: --streaming needs -i grpc (streams are gRPC ModelStreamInfer)\n']);
    const help = runCli(['perf', '--help']).stdout;
    expect(help).toMatch(/-i, --protocol http\|grpc/);
    expect(help).toMatch(/--streaming\[=BOOL\] +gRPC only/);
  });

  it('-u defaults to localhost:8001 with -i grpc', async () => {
    // Only checkable when nothing listens on 8001 here (the tests never start a server there).
    const free = await new Promise<boolean>((resolve) => {
      const s = createNetServer().once('error', () => resolve(false));
      s.listen(8001, () => s.close(() => resolve(true)));
    });
    const r = runCli(['perf', '-i', 'grpc', '-m', 'm']);
    expect(r.code).toBe(1);
    if (free) expect(r.stderr).toBe('nereid perf: cannot connect to localhost:8001 (ECONNREFUSED): is the server running?\n');
  });
});
