// The benchmark's measuring parts against real things: the gRPC load generator against a real
// grpc-js server, the CPU accounting against a process's own count, the copy counter against a
// metrics endpoint, the targets against known numbers, and the missing-wrk message from the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcInferClient, loadGrpc, runGrpcLoad } from '../../bench/grpc-load.ts';
import { readCopiedBytes } from '../../bench/metrics.ts';
import { benchModels } from '../../bench/models.ts';
import { cpuMicros } from '../../bench/proc-cpu.ts';
import { binaryRequest, naiveCopiedBytes } from '../../bench/requests.ts';
import { type Cell, type ResultsInput, type Row, targets } from '../../bench/results.ts';
import { tmpTree } from '../helpers/tmp.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A GRPCInferenceService whose ModelInfer answers with the inputs' bytes, or fails every call. */
async function grpcServer(fail: boolean): Promise<{ address: string; calls: () => number }> {
  const def = loader.loadSync('grpc_service.proto', { includeDirs: [`${root}/proto`], keepCase: true, longs: Number, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } };
  let calls = 0;
  const server = new grpc.Server();
  server.addService(pkg.inference.GRPCInferenceService.service, {
    ModelInfer: (
      call: { request: { model_name: string; raw_input_contents: Buffer[]; inputs: { shape: number[] }[] } },
      cb: (e: Partial<grpc.StatusObject> | null, r?: unknown) => void,
    ) => {
      calls++;
      const r = call.request;
      if (fail || r.model_name !== 'plain' || r.raw_input_contents.length !== 1 || r.raw_input_contents[0]!.byteLength !== 16 * 4)
        return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no' });
      cb(null, { model_name: 'plain', outputs: [{ name: 'OUT', datatype: 'FP32', shape: r.inputs[0]!.shape }], raw_output_contents: r.raw_input_contents });
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  cleanups.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return { address: `127.0.0.1:${port}`, calls: () => calls };
}

describe('gRPC load generator', () => {
  const input = [{ name: 'IN', shape: [1, 16], data: new Float32Array(16).fill(1.5) }];

  it('keeps `concurrency` ModelInfer calls going for the window and reports them', async () => {
    const mods = await loadGrpc();
    if (typeof mods === 'string') throw new Error(mods);
    const { address, calls } = await grpcServer(false);
    const client = await grpcInferClient(mods, address);
    cleanups.push(() => client.close());
    const r = await runGrpcLoad(client, 'plain', input, 4, 1);
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(10);
    // Calls answered after the window are not counted: at most one per caller.
    expect(calls()).toBeGreaterThanOrEqual(r.requests);
    expect(calls()).toBeLessThanOrEqual(r.requests + 4);
    expect(r.p50Us).toBeGreaterThan(0);
    expect(r.p99Us).toBeGreaterThanOrEqual(r.p50Us);
  });

  it('counts failed calls as errors', async () => {
    const mods = await loadGrpc();
    if (typeof mods === 'string') throw new Error(mods);
    const { address } = await grpcServer(true);
    const client = await grpcInferClient(mods, address);
    cleanups.push(() => client.close());
    const r = await runGrpcLoad(client, 'plain', input, 2, 1);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.errors).toBe(r.requests);
  });
});

describe('server CPU accounting', () => {
  it("reads a process's CPU time as the process itself counts it", async () => {
    // The child burns 300 ms of its own CPU, prints its process.cpuUsage(), then waits to be read.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'while ((process.cpuUsage().user + process.cpuUsage().system) < 300000); const u = process.cpuUsage(); console.log(u.user + u.system); setInterval(() => {}, 1000);',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      child.kill();
    });
    const own = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(d.toString()))));
    const read = cpuMicros(child.pid!);
    expect(own).toBeGreaterThanOrEqual(300_000);
    // 10 ms clock ticks, and a few ms spent between its reading and ours.
    expect(read).toBeGreaterThan(own - 30_000);
    expect(read).toBeLessThan(own + 100_000);
  });
});

describe('copy counter', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function metrics(text: string): Promise<string> {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(text));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  it('sums the samples of nereid_tensor_bytes_copied_total over labels, and only those', async () => {
    const url = await metrics(
      [
        '# HELP nereid_tensor_bytes_copied_total Bytes of tensor data copied',
        '# TYPE nereid_tensor_bytes_copied_total counter',
        'nereid_tensor_bytes_copied_total{site="body"} 1024',
        'nereid_tensor_bytes_copied_total{site="response"} 512',
        'nereid_tensor_bytes_copied_total_created 17',
        'nv_inference_count{model="plain",version="1"} 99',
        '',
      ].join('\n'),
    );
    expect(await readCopiedBytes(url)).toBe(1536);
  });

  it('is undefined when the server does not export it', async () => {
    expect(await readCopiedBytes(await metrics('nv_inference_count{model="plain",version="1"} 3\n'))).toBeUndefined();
  });
});

describe('requests and computed copies', () => {
  it("sends the tiny model's two 16-float inputs with the header length set, and counts the naive server's copies", () => {
    const tiny = benchModels(true).find((m) => m.id === 'tiny')!;
    const req = binaryRequest(tiny);
    const hl = Number(req.headers['Inference-Header-Content-Length']);
    const header = JSON.parse(new TextDecoder().decode(req.body!.subarray(0, hl)));
    expect(header.inputs.map((i: { name: string; shape: number[] }) => [i.name, i.shape])).toEqual([
      ['INPUT0', [1, 16]],
      ['INPUT1', [1, 16]],
    ]);
    expect(req.body!.byteLength - hl).toBe(2 * 16 * 4);
    // Two inputs and two outputs of 64 bytes: body read + slice (inputs), onnxruntime's copy + response buffer (outputs).
    expect(naiveCopiedBytes(tiny)).toEqual({ total: 2 * 128 + 2 * 128, handler: 128 + 128 });
  });
});

describe('targets', () => {
  const cell = (level: number, throughput: number): Cell => ({ level, throughput, requests: 1, seconds: 1, errors: 0, p50Us: 1, p90Us: 1, p99Us: 1 });
  const row = (model: Row['model'], scenario: Row['scenario'], cells: Cell[]): Row => ({ model, scenario, cells, copied: 'metric' });
  const input = (rows: Row[], scheduler: ResultsInput['scheduler']): ResultsInput => ({
    rows,
    limits: { mlp: [{ batch: 64, runsPerSec: 100, rowsPerSec: 6400, msPerRun: 10 }] },
    machine: { cpu: 'x', nproc: 2, memGiB: 1, os: 'linux', node: 'v20', ort: '1', nereid: '0' },
    quick: false,
    seconds: 1,
    concurrency: [1, 4, 16, 64],
    windowS: 5,
    rounds: 3,
    wrk: { version: 'wrk 4', threads: { 1: 1, 4: 1, 16: 1, 64: 1 } },
    scheduler,
    notes: [],
    models: [],
    naiveCopies: {},
  });

  it('marks each target achieved or not with its numbers', () => {
    const lines = targets(
      input(
        [
          row('tiny', 'naive', [cell(1, 1000)]),
          row('tiny', 'binary', [cell(1, 905), cell(64, 2000)]),
          row('tiny', 'threads2', [cell(64, 2500)]),
          row('mlp', 'batched', [cell(64, 3900)]),
        ],
        { requests: 1, trials: 1, perRequestUs: {}, overheadUs: { default: 4, batcher: 9.5, batcher64: 2 } },
      ),
    );
    expect(lines[0]).toMatch(/905 vs the bare handler 1000 infer\/s = 0\.91× \(target ≥ 0\.9×\): \*\*achieved\*\*/);
    expect(lines[1]).toMatch(/3900 infer\/s = 0\.61× the in-process best batch \(6400 rows\/s at batch 64.*\*\*achieved\*\*/);
    expect(lines[2]).toMatch(/9\.50 µs sequential.*\*\*achieved\*\*/);
    expect(lines[3]).toMatch(/2500 vs one 2000 infer\/s = 1\.25× \(target ≥ 1\.3×\): \*\*not achieved\*\*/);
  });

  it('says which targets were not measured, and why', () => {
    const lines = targets(input([row('tiny', 'naive', [cell(1, 1000)]), row('tiny', 'binary', [cell(1, 800)])], 'bench/scheduler.ts exited 2'));
    expect(lines[0]).toMatch(/0\.80×.*\*\*not achieved\*\*/);
    expect(lines[1]).toMatch(/not measured/);
    expect(lines[2]).toMatch(/not measured \(bench\/scheduler\.ts exited 2\)/);
    expect(lines[3]).toMatch(/not measured/);
  });
});

describe('npm run bench', () => {
  it('says in one line how to install wrk when there is none, and exits 1', () => {
    // tsx keeps a cache in the temp dir: this test's own, removed with it.
    const tmp = tmpTree();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, WRK: '/nonexistent/wrk', TMPDIR: tmp, TMP: tmp, TEMP: tmp },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('sudo apt-get install wrk')]);
  });
});
