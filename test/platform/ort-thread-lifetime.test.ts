import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * An onnxruntime-node session thread keeps the process alive exactly while a call waits on it:
 * start-up awaits warm-ups on instances in their own threads, and an idle thread must never hold
 * the process open.
 */
const WORKER_WARMUP = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
instance_group [ { count: 2 kind: KIND_CPU } ]
parameters { key: "execution_thread" value { string_value: "worker" } }
model_warmup [ { name: "zeros" batch_size: 2 count: 3
  inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 16 ] zero_data: true } }
  inputs { key: "INPUT1" value: { data_type: TYPE_FP32 dims: [ 16 ] random_data: true } } } ]
`;

describe('onnxruntime session threads and the process lifetime', () => {
  it('the CLI starts a model warmed up on instances in their own threads, serves it and exits 0 on SIGTERM', async () => {
    const repo = tmpTree({ 'warm/config.pbtxt': WORKER_WARMUP, 'warm/1/model.onnx': addSubModel() });
    const srv = await startCli(['--model-repository', repo]);
    try {
      expect(srv.output()).toMatch(/successfully loaded 'warm' version 1/);
      const a = Array.from({ length: 32 }, (_, i) => i * 0.5 - 3);
      const b = Array.from({ length: 32 }, (_, i) => 7 - i * 0.25);
      const res = await fetch(`${srv.url}/v2/models/warm/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [2, 16], datatype: 'FP32', data: a },
            { name: 'INPUT1', shape: [2, 16], datatype: 'FP32', data: b },
          ],
        }),
      });
      expect(res.status).toBe(200);
      const out = Object.fromEntries(((await res.json()).outputs as { name: string; data: number[] }[]).map((o) => [o.name, o.data]));
      expect(out.OUTPUT0).toEqual(a.map((x, i) => x + b[i]!));
      expect(out.OUTPUT1).toEqual(a.map((x, i) => x - b[i]!));
    } finally {
      expect(await srv.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('a pending run keeps a script alive; an idle session thread lets it exit', () => {
    const ort = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
    const src = (p: string) => pathToFileURL(resolve(p)).href;
    // The script awaits a run at top level and never releases the session: Node exits 13 if
    // nothing keeps it alive while the run is pending, and hangs if the idle thread still does.
    const script = `
      import ort from '${ort}';
      import { createThreadSession } from '${src('src/platform/ort/node/thread-session.ts')}';
      import { addSubModel } from '${src('src/tools/onnx/models.ts')}';
      const s = await createThreadSession(ort.Tensor, { model: addSubModel(), options: { executionProviders: ['cpu'] } });
      const t = (v) => new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => v * i), [1, 16]);
      const out = await s.run({ INPUT0: t(3), INPUT1: t(1) });
      console.log(JSON.stringify(Array.from(out.OUTPUT0.data)));
    `;
    const dir = tmpTree({ 'pending-run.mts': script });
    // tsx keeps a cache in the temp dir: this test's own, removed with it.
    const env = { ...process.env, TMPDIR: dir, TMP: dir, TEMP: dir };
    const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(dir, 'pending-run.mts')], { encoding: 'utf8', timeout: 30_000, env });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual(Array.from({ length: 16 }, (_, i) => 4 * i));
  }, 40_000);
});
