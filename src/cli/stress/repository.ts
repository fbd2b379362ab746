import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { accumulatorModel, addSubModel, identityModel } from '../../tools/onnx/models.ts';

/** Sequence idle time of the stress sequence model: no-END sequences free their slot after this. */
export const SEQUENCE_IDLE_MS = 2000;

const IO16 = `input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

function write(root: string, files: Record<string, Uint8Array | string>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
}

/** The main stress repository (served in EXPLICIT mode, every model loaded at startup), in `root` (a new temp dir by default). */
export function mainRepository(root: string = mkdtempSync(join(tmpdir(), 'nereid-stress-'))): string {
  write(root, {
    'add_sub/config.pbtxt': `max_batch_size: 8\n${IO16}dynamic_batching { max_queue_delay_microseconds: 200 }\n`,
    'add_sub/1/model.onnx': addSubModel(),
    'add_sub_plain/config.pbtxt': `max_batch_size: 8\n${IO16}`,
    'add_sub_plain/1/model.onnx': addSubModel(),
    'accumulate/config.pbtxt': `max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
instance_group [ { count: 2 kind: KIND_CPU } ]
sequence_batching {
  max_sequence_idle_microseconds: ${SEQUENCE_IDLE_MS * 1000}
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
}
`,
    'accumulate/1/model.onnx': accumulatorModel(),
    'identity/config.pbtxt':
      'max_batch_size: 0\ninput { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] }\n',
    'identity/1/model.onnx': identityModel('float32', ['n']),
    'slow_js/config.pbtxt':
      'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\ninstance_group { count: 2 kind: KIND_CPU }\n',
    'slow_js/1/model.js':
      'export async function execute(rs) { await new Promise((r) => setTimeout(r, 300)); return rs.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }\n',
    'churn/config.pbtxt': `max_batch_size: 8\n${IO16}`,
    'churn/1/model.onnx': addSubModel(),
  });
  return root;
}

/** The repository of the POLL server, whose config the driver keeps editing. */
export function pollRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'nereid-stress-poll-'));
  write(root, { 'reloaded/config.pbtxt': pollConfig(0), 'reloaded/1/model.onnx': addSubModel() });
  return root;
}

export function pollConfig(generation: number): string {
  return `max_batch_size: 8\n${IO16}dynamic_batching { }\nparameters { key: "generation" value: { string_value: "${generation}" } }\n`;
}
