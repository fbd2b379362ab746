import { readFileSync } from 'node:fs';
/**
 * The KServe v2 contract every Nereid runtime must meet, written once and run against each
 * target: the in-process hono app, the Node CLI, a Deno server process, the worker transport
 * over a MessagePort (Electron's path), and a browser Web Worker. Expected values are computed
 * here, independently of the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, classifierModel, classifierWeights, stringAddSubModel } from '../../src/tools/onnx/models.ts';
import { buildRequest, bytesElements, f32, readResponse } from '../helpers/kserve.ts';
import type { FileTree } from '../helpers/tmp-tree.ts';

export interface ContractTarget {
  /** Sends a request to the server (path-only URL). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface ContractOptions {
  /** Floating-point tolerance for outputs (WebGPU may differ in the last bits). */
  tolerance?: number;
}

const IO16 = (t: string) => `input [ { name: "INPUT0" data_type: ${t} dims: [ 16 ] }, { name: "INPUT1" data_type: ${t} dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: ${t} dims: [ 16 ] }, { name: "OUTPUT1" data_type: ${t} dims: [ 16 ] } ]
`;

/** The repository every target serves (NONE mode: everything loaded at startup). */
export function contractRepository(): FileTree {
  return {
    'add_sub/config.pbtxt': `name: "add_sub"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n${IO16('TYPE_FP32')}dynamic_batching { }\n`,
    'add_sub/1/model.onnx': addSubModel(),
    'simple_string/config.pbtxt': `name: "simple_string"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n${IO16('TYPE_STRING')}`,
    'simple_string/1/model.onnx': stringAddSubModel(),
    'classifier/config.pbtxt':
      'max_batch_size: 8\ninput { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 5 ] label_filename: "labels.txt" }\n',
    'classifier/labels.txt': 'cat\ndog\nbird\nfish\nhorse\n',
    'classifier/1/model.onnx': classifierModel(),
  };
}

const A = Array.from({ length: 16 }, (_, i) => i * 0.5);
const B = Array.from({ length: 16 }, (_, i) => 3 - i);

export function kserveContract(name: string, start: (repository: FileTree) => Promise<ContractTarget>, opts: ContractOptions = {}): void {
  const close = (got: number[], want: number[]) => {
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(opts.tolerance ?? 0));
  };

  describe(`KServe v2 contract: ${name}`, () => {
    let t: ContractTarget;
    beforeAll(async () => {
      t = await start(contractRepository());
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
    });

    it('health: live and ready, empty bodies', async () => {
      for (const path of ['/v2/health/live', '/v2/health/ready']) {
        const res = await t.fetch(path);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toBe('');
      }
    });

    it('server and model metadata', async () => {
      const server = await (await t.fetch('/v2')).json();
      expect(server.version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
      expect(server.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'model_repository', 'statistics']));
      const meta = await (await t.fetch('/v2/models/add_sub')).json();
      expect(meta).toMatchObject({
        name: 'add_sub',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [-1, 16] },
          { name: 'INPUT1', datatype: 'FP32', shape: [-1, 16] },
        ],
        outputs: [
          { name: 'OUTPUT0', datatype: 'FP32', shape: [-1, 16] },
          { name: 'OUTPUT1', datatype: 'FP32', shape: [-1, 16] },
        ],
      });
      expect((await t.fetch('/v2/models/add_sub/ready')).status).toBe(200);
      const config = await (await t.fetch('/v2/models/add_sub/config')).json();
      expect(config).toMatchObject({ name: 'add_sub', max_batch_size: 8, dynamic_batching: { preferred_batch_size: [8] } });
    });

    it('repository index', async () => {
      const index = await (await t.fetch('/v2/repository/index', { method: 'POST' })).json();
      expect(index.map((e: { name: string; state: string }) => `${e.name}:${e.state}`)).toEqual(['add_sub:READY', 'classifier:READY', 'simple_string:READY']);
    });

    it('JSON inference', async () => {
      const res = await t.fetch('/v2/models/add_sub/infer', {
        method: 'POST',
        body: JSON.stringify({
          id: 'c1',
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: A },
            { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: B },
          ],
        }),
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ id: 'c1', model_name: 'add_sub', model_version: '1' });
      close(
        body.outputs[0].data,
        A.map((a, i) => a + B[i]!),
      );
      close(
        body.outputs[1].data,
        A.map((a, i) => a - B[i]!),
      );
    });

    it('binary inference', async () => {
      const a = Float32Array.from(A);
      const b = Float32Array.from(B);
      const { body, headers } = buildRequest(
        [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], bytes: new Uint8Array(a.buffer) },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], bytes: new Uint8Array(b.buffer) },
        ],
        { parameters: { binary_data_output: true } },
      );
      const res = await t.fetch('/v2/models/add_sub/infer', { method: 'POST', body: body as BodyInit, headers });
      expect(res.status).toBe(200);
      const r = await readResponse(res);
      close(
        f32(r.outputs.get('OUTPUT0')!.bytes!),
        A.map((x, i) => x + B[i]!),
      );
      close(
        f32(r.outputs.get('OUTPUT1')!.bytes!),
        A.map((x, i) => x - B[i]!),
      );
    });

    it('BYTES tensors', async () => {
      const x = Array.from({ length: 16 }, (_, i) => String(i * 3));
      const y = Array.from({ length: 16 }, (_, i) => String(i));
      const { body, headers } = buildRequest([
        { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], bytes: bytesElements(x) },
        { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], data: y },
      ]);
      const res = await t.fetch('/v2/models/simple_string/infer', { method: 'POST', body: body as BodyInit, headers });
      const out = await res.json();
      expect(out.outputs[0].data).toEqual(x.map((v, i) => String(Number(v) + i)));
      expect(out.outputs[1].data).toEqual(x.map((v, i) => String(Number(v) - i)));
    });

    it('classification with labels', async () => {
      const x = [1, 0, -1, 2];
      const { w, b } = classifierWeights();
      const logits = Array.from({ length: 5 }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i * 5 + j]!, b[j]!));
      const top = logits.map((l, j) => ({ l, j })).sort((p, q) => q.l - p.l)[0]!.j;
      const res = await t.fetch('/v2/models/classifier/infer', {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', data: x }],
          outputs: [{ name: 'OUTPUT0', parameters: { classification: 1 } }],
        }),
      });
      const out = await res.json();
      const [, index, label] = out.outputs[0].data[0].split(':');
      expect(Number(index)).toBe(top);
      expect(label).toBe(['cat', 'dog', 'bird', 'fish', 'horse'][top]);
    });

    it('errors: status codes and Triton messages', async () => {
      const unknown = await t.fetch('/v2/models/nope/infer', { method: 'POST', body: '{"inputs":[]}' });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe("Request for unknown model: 'nope' is not found");
      const bad = await t.fetch('/v2/models/add_sub/infer', { method: 'POST', body: '{"inputs": [' });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatch(/^failed to parse the request JSON buffer/);
      const shape = await t.fetch('/v2/models/add_sub/infer', {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 15], datatype: 'FP32', data: A.slice(1) },
            { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: B },
          ],
        }),
      });
      expect(shape.status).toBe(400);
      expect((await shape.json()).error).toMatch(/unexpected shape for input 'INPUT0' for model 'add_sub'/);
      expect((await t.fetch('/v2/nothing')).status).toBe(404);
      expect((await t.fetch('/v2/repository/models/add_sub/load', { method: 'POST' })).status).toBe(503);
    });

    it('statistics count the requests', async () => {
      const stats = await (await t.fetch('/v2/models/add_sub/stats')).json();
      expect(stats.model_stats[0]).toMatchObject({ name: 'add_sub', version: '1' });
      expect(stats.model_stats[0].inference_stats.success.count).toBeGreaterThanOrEqual(2);
      expect(stats.model_stats[0].inference_stats.fail.count).toBeGreaterThanOrEqual(1);
    });
  });
}
