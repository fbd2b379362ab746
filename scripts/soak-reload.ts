// Loads and unloads models N times (default 500) through the repository API in EXPLICIT mode
// and prints resident memory before and after. Usage: npm run soak:reload [-- --cycles N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpApp, createServer } from '../src/platform/node/index.ts';
import { addSubModel } from '../src/tools/onnx/models.ts';
import { writeTree } from '../test/helpers/tmp-tree.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const cycles = arg('cycles', 500);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const MODELS = ['onnx_model', 'js_model'].filter((m) => !only || m.startsWith(only));
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

const root = mkdtempSync(join(tmpdir(), 'nereid-soak-'));
writeTree(root, {
  'onnx_model/config.pbtxt':
    'max_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\n',
  'onnx_model/1/model.onnx': addSubModel(),
  'js_model/config.pbtxt':
    'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 4 ] }\n',
  'js_model/1/model.js': 'export function execute(rs) { return rs.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }\n',
});

const server = await createServer({ repositories: [root], controlMode: 'explicit', cuda: { available: false, deviceCount: 0 } });
await server.start();
const app = createHttpApp(server);
const x = Array.from({ length: 16 }, (_, i) => i);
const req = (path: string, body: unknown = {}) => app.request(path, { method: 'POST', body: JSON.stringify(body) });

async function cycle(): Promise<void> {
  for (const m of MODELS) {
    const r = await req(`/v2/repository/models/${m}/load`);
    if (r.status !== 200) throw new Error(`load ${m}: ${r.status} ${await r.text()}`);
  }
  if (MODELS.includes('onnx_model')) {
    const a = await req('/v2/models/onnx_model/infer', {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
        { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
      ],
    });
    if (a.status !== 200) throw new Error(`inference failed: ${a.status} ${await a.text()}`);
  }
  if (MODELS.includes('js_model')) {
    const b = await req('/v2/models/js_model/infer', { inputs: [{ name: 'INPUT0', shape: [4], datatype: 'INT32', data: [1, 2, 3, 4] }] });
    if (b.status !== 200) throw new Error(`inference failed: ${b.status} ${await b.text()}`);
  }
  for (const m of MODELS) await req(`/v2/repository/models/${m}/unload`);
}

// Warm up (first loads allocate onnxruntime's and V8's steady-state memory), then measure.
for (let i = 0; i < 20; i++) await cycle();
gc();
const before = process.memoryUsage();
const started = performance.now();
for (let i = 1; i <= cycles; i++) {
  await cycle();
  if (i % 100 === 0) {
    gc();
    console.log(`cycle ${i}: rss ${mb(process.memoryUsage().rss)} MB`);
  }
}
gc();
await new Promise((r) => setTimeout(r, 500));
gc();
const after = process.memoryUsage();
const seconds = (performance.now() - started) / 1000;
await server.stop(1000);
rmSync(root, { recursive: true, force: true });
console.log(`\n${cycles} load/unload cycles of ${MODELS.join(' and ')} (with one inference each) in ${seconds.toFixed(1)} s`);
console.log(`rss before ${mb(before.rss)} MB, after ${mb(after.rss)} MB, growth ${mb(after.rss - before.rss)} MB`);
console.log(`heap used before ${mb(before.heapUsed)} MB, after ${mb(after.heapUsed)} MB`);
const growth = (after.rss - before.rss) / 1024 / 1024;
process.exit(growth < 20 ? 0 : 1);
