// Writes Triton-style example model repositories under examples/models/.
// Usage: npx tsx scripts/make-example-models.ts [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { accumulatorModel, addSubModel, classifierModel, stringAddSubModel } from '../src/tools/onnx/models.ts';

export interface ExampleModel {
  name: string;
  summary: string;
  /** Relative path inside the model's directory -> file contents. */
  files: Record<string, Uint8Array | string>;
}

function tensorConfig(kind: 'input' | 'output', names: string[], dataType: string, dims: number[], extra = ''): string {
  const entries = names.map((name) => `  {\n    name: "${name}"\n    data_type: ${dataType}\n    dims: [ ${dims.join(', ')} ]\n${extra}  }`);
  return `${kind} [\n${entries.join(',\n')}\n]\n`;
}

const ADD_SUB_CONFIG =
  'name: "add_sub"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n' +
  tensorConfig('input', ['INPUT0', 'INPUT1'], 'TYPE_FP32', [16]) +
  tensorConfig('output', ['OUTPUT0', 'OUTPUT1'], 'TYPE_FP32', [16]) +
  'dynamic_batching { }\n';

const SIMPLE_STRING_CONFIG =
  'name: "simple_string"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n' +
  tensorConfig('input', ['INPUT0', 'INPUT1'], 'TYPE_STRING', [16]) +
  tensorConfig('output', ['OUTPUT0', 'OUTPUT1'], 'TYPE_STRING', [16]);

const CLASSIFIER_CONFIG =
  'name: "classifier"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n' +
  tensorConfig('input', ['INPUT0'], 'TYPE_FP32', [4]) +
  tensorConfig('output', ['OUTPUT0'], 'TYPE_FP32', [5], '    label_filename: "labels.txt"\n');

const LABELS = ['cat', 'dog', 'bird', 'fish', 'horse'];

const SCALE_JS_CONFIG =
  'name: "scale_js"\nbackend: "js"\nmax_batch_size: 8\n' +
  tensorConfig('input', ['INPUT0'], 'TYPE_FP32', [16]) +
  tensorConfig('output', ['OUTPUT0'], 'TYPE_FP32', [16]) +
  'dynamic_batching { }\n' +
  'parameters { key: "factor" value: { string_value: "0.5" } }\n';

const SCALE_JS = `// A JavaScript model (backend "js"): ES module run in its own worker thread.
let factor = 1;

/** Called once per instance with the model's completed config (Triton's JSON form). */
export function initialize(args) {
  factor = Number(args.model_config.parameters.factor?.string_value ?? 1);
}

/** One call may carry several requests (dynamic batching); return one response per request. */
export function execute(requests) {
  return requests.map((request) => {
    const x = request.inputs.INPUT0; // { datatype, shape, data: Float32Array }
    return { outputs: { OUTPUT0: { shape: x.shape, data: x.data.map((v) => v * factor) } } };
  });
}

export function finalize() {}
`;

const COUNTDOWN_CONFIG =
  'name: "countdown_js"\nbackend: "js"\nmax_batch_size: 0\nmodel_transaction_policy { decoupled: true }\n' +
  tensorConfig('input', ['IN'], 'TYPE_INT32', [1]) +
  tensorConfig('output', ['OUT'], 'TYPE_INT32', [1]);

const COUNTDOWN_JS = `// A decoupled JavaScript model (model_transaction_policy { decoupled: true }): one request, many
// responses. For IN = n it sends n, n-1, ..., 0, one response per step, each as soon as it is ready;
// the last one is final. Streams (gRPC ModelStreamInfer, HTTP generate_stream) carry them.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns at once: each request's responses go out through its responseSender, also after this returns. */
export function execute(requests) {
  for (const request of requests) void countdown(request);
}

async function countdown(request) {
  const sender = request.responseSender;
  try {
    const n = request.inputs.IN.data[0];
    if (n < 0 || n > 1000) return sender.send({ error: \`IN must be from 0 to 1000, got \${n}\` }, { final: true });
    for (let i = n; i >= 0; i--) {
      await sender.send({ outputs: { OUT: { shape: [1], data: Int32Array.of(i) } } }, { final: i === 0 });
      if (i > 0) await sleep(10);
    }
  } catch (e) {
    await sender.send({ error: String(e) }, { final: true });
  }
}
`;

const ACCUMULATE_CONFIG = `name: "accumulate"
platform: "onnxruntime_onnx"
max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
sequence_batching {
  max_sequence_idle_microseconds: 5000000
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }
  ]
  state [
    {
      input_name: "STATE_IN"
      output_name: "STATE_OUT"
      data_type: TYPE_INT32
      dims: [ 1 ]
      initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "zeros" }
    }
  ]
}
`;

const ENSEMBLE_CONFIG = `name: "add_sub_scaled"
platform: "ensemble"
max_batch_size: 8
input [
  { name: "A" data_type: TYPE_FP32 dims: [ 16 ] },
  { name: "B" data_type: TYPE_FP32 dims: [ 16 ] }
]
output [
  { name: "HALF_SUM" data_type: TYPE_FP32 dims: [ 16 ] },
  { name: "DIFF" data_type: TYPE_FP32 dims: [ 16 ] }
]
ensemble_scheduling {
  step [
    {
      model_name: "add_sub"
      model_version: -1
      input_map { key: "INPUT0" value: "A" }
      input_map { key: "INPUT1" value: "B" }
      output_map { key: "OUTPUT0" value: "SUM" }
      output_map { key: "OUTPUT1" value: "DIFF" }
    },
    {
      model_name: "scale_js"
      model_version: -1
      input_map { key: "INPUT0" value: "SUM" }
      output_map { key: "OUTPUT0" value: "HALF_SUM" }
    }
  ]
}
`;

export function exampleModels(): ExampleModel[] {
  return [
    {
      name: 'add_sub',
      summary: 'FP32 [-1,16] x2 -> sum, difference; dynamic batching',
      files: { 'config.pbtxt': ADD_SUB_CONFIG, '1/model.onnx': addSubModel() },
    },
    {
      name: 'simple_string',
      summary: 'STRING [-1,16] x2 (decimal integers) -> sum, difference as strings',
      files: { 'config.pbtxt': SIMPLE_STRING_CONFIG, '1/model.onnx': stringAddSubModel() },
    },
    {
      name: 'classifier',
      summary: 'FP32 [-1,4] -> softmax over 5 labelled classes',
      files: {
        'config.pbtxt': CLASSIFIER_CONFIG,
        'labels.txt': `${LABELS.join('\n')}\n`,
        '1/model.onnx': classifierModel(),
      },
    },
    {
      name: 'auto_complete',
      summary: 'FP32 [-1,4] add/sub with no config.pbtxt (config derived by the server)',
      files: { '1/model.onnx': addSubModel({ type: 'float32', dims: ['batch', 4] }) },
    },
    {
      name: 'scale_js',
      summary: 'JavaScript backend: FP32 [-1,16] times the "factor" config parameter',
      files: { 'config.pbtxt': SCALE_JS_CONFIG, '1/model.js': SCALE_JS },
    },
    {
      name: 'countdown_js',
      summary: 'decoupled JavaScript model: IN = n streams n, n-1, ..., 0 (one response per step)',
      files: { 'config.pbtxt': COUNTDOWN_CONFIG, '1/model.js': COUNTDOWN_JS },
    },
    {
      name: 'accumulate',
      summary: 'stateful sequence model: running sum per sequence (implicit state, START control)',
      files: { 'config.pbtxt': ACCUMULATE_CONFIG, '1/model.onnx': accumulatorModel() },
    },
    {
      name: 'add_sub_scaled',
      summary: 'ensemble: add_sub, then scale_js on the sum',
      files: { 'config.pbtxt': ENSEMBLE_CONFIG, '1/.keep': '' },
    },
  ];
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

export function writeExampleModels(outDir: string): void {
  for (const model of exampleModels()) {
    let bytes = 0;
    for (const [rel, data] of Object.entries(model.files)) {
      const path = join(outDir, model.name, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
      bytes += byteLength(data);
    }
    const names = Object.keys(model.files).sort().join(', ');
    console.log(`${model.name.padEnd(14)} ${String(bytes).padStart(6)} B  [${names}]  ${model.summary}`);
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  writeExampleModels(resolve(process.argv[2] ?? join(root, 'examples', 'models')));
}
