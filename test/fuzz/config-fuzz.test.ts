import { describe, expect, it } from 'vitest';
import { completeBackendFields, normalizeConfig } from '../../src/core/config/complete.ts';
import { configToJson } from '../../src/core/config/json.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { validateConfig } from '../../src/core/config/validate.ts';
import { isServerError } from '../../src/core/errors.ts';
import { mulberry32 } from '../../src/tools/onnx/models.ts';

/**
 * Seeded fuzzing of config.pbtxt handling: mutated configs either parse or fail with
 * INVALID_ARG `failed to read text proto from ...: line L, column C: ...`; configs that parse go
 * through completion, normalisation, validation and JSON printing without anything but
 * INVALID_ARG errors.
 */
const SEEDS = [
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

function mutate(text: string, rand: () => number): string {
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

describe('config.pbtxt fuzzing (seeded, bounded)', () => {
  it('mutated configs parse or fail with a positioned INVALID_ARG; parsed ones validate without crashing', () => {
    const rand = mulberry32(1122);
    let parsed = 0;
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      const text = mutate(SEEDS[i % SEEDS.length]!, rand);
      let config: ReturnType<typeof parseConfigText>;
      try {
        config = parseConfigText(text, 'fuzz/config.pbtxt');
      } catch (e) {
        expect(isServerError(e) && e.code === 'INVALID_ARG', `round ${i}: ${String(e)}\n${text}`).toBe(true);
        expect((e as Error).message).toMatch(/^failed to read text proto from fuzz\/config\.pbtxt: line \d+, column \d+: /);
        refused++;
        continue;
      }
      parsed++;
      try {
        completeBackendFields(config, config.name || 'm', ['model.onnx']);
        normalizeConfig(config, { gpuCount: 1 });
        validateConfig(config, { gpuCount: 1 });
        expect(typeof JSON.stringify(configToJson(config))).toBe('string');
      } catch (e) {
        expect(isServerError(e) && e.code === 'INVALID_ARG', `round ${i}: ${String((e as Error).stack)}\n${text}`).toBe(true);
      }
    }
    expect(parsed).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(100);
  });
});
