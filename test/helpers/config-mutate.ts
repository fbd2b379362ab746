/** Seed configs and a seeded mutator for config.pbtxt fuzzing (shared by the parser fuzz test and the text-writer round trip). */
export const SEEDS = [
  `name: "m"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] reshape: { shape: [ 4, 4 ] } } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] label_filename: "labels.txt" } ]
dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100 priority_levels: 2 default_priority_level: 1
  default_queue_policy { max_queue_size: 4 timeout_action: DELAY default_timeout_microseconds: 10 } }
instance_group [ { count: 2 kind: KIND_CPU } ]
version_policy: { specific { versions: [ 1, 3 ] } }
parameters { key: "k" value: { string_value: "v" } }
model_warmup [ { name: "w" batch_size: 2 inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 16 ] random_data: true } } } ]`,
  `name: "s"
backend: "js"
max_batch_size: 4
input { name: "IN" data_type: TYPE_INT32 dims: [ -1 ] }
output { name: "OUT" data_type: TYPE_INT32 dims: [ -1 ] }
sequence_batching {
  max_sequence_idle_microseconds: 5000
  oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2 ] }
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ]
  state [ { input_name: "S_IN" output_name: "S_OUT" data_type: TYPE_INT32 dims: [ 1 ] initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "z" } } ]
}`,
  `name: "e"
platform: "ensemble"
input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "B" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling { step [ { model_name: "m" model_version: -1 input_map { key: "INPUT0" value: "A" } output_map { key: "OUTPUT0" value: "B" } } ] }`,
];

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ';',
  '"',
  "'",
  '<',
  '>',
  '-1',
  '0x10',
  '1e9',
  '99999999999999999999',
  'TYPE_FP32',
  'KIND_GPU',
  'true',
  'nan',
  'inf',
  'name',
  'dims',
  'input',
  'output',
  '#',
  '\n',
  '\\',
  'max_batch_size: -4',
  'dims: [ 0 ]',
  'reshape: { shape: [ ] }',
  'preferred_batch_size: [ 99 ]',
  'kind: KIND_GPU gpus: [ 7 ]',
  'dynamic_batching { }',
  'sequence_batching { }',
  'platform: "ensemble"',
  'version_policy: { latest { num_versions: 0 } }',
];

export function mutate(text: string, rand: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = rand();
    if (op < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
    else if (op < 0.75) s = s.slice(0, at) + TOKENS[Math.floor(rand() * TOKENS.length)]! + s.slice(at);
    else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at + 1);
  }
  return s;
}
