import { describe, expect, it } from 'vitest';
import { completeBackendFields, normalizeConfig } from '../../src/core/config/complete.ts';
import { configFromJson, configToJson } from '../../src/core/config/json.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { caught } from './helpers.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;

describe('configToJson: Triton /config JSON conventions', () => {
  it('reproduces the captured densenet_onnx /config output byte for byte', () => {
    const c = parseConfigText(
      `input [ { name: "data_0" data_type: TYPE_FP32 dims: [1,3,224,224] } ]
       output [ { name: "fc6_1" data_type: TYPE_FP32 dims: [1,1000,1,1] } ]`,
      'p',
    );
    completeBackendFields(c, 'densenet_onnx', ['model.onnx']);
    normalizeConfig(c, { gpuCount: 0 });
    // Captured from Triton (triton-model-config.md §6), joined onto one line.
    const expected =
      '{"name":"densenet_onnx","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"","version_policy":{"latest":{"num_versions":1}},' +
      '"max_batch_size":0,"input":[{"name":"data_0","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[1,3,224,224],"is_shape_tensor":false,' +
      '"allow_ragged_batch":false,"optional":false,"is_non_linear_format_io":false}],"output":[{"name":"fc6_1","data_type":"TYPE_FP32",' +
      '"dims":[1,1000,1,1],"label_filename":"","is_shape_tensor":false,"is_non_linear_format_io":false}],"batch_input":[],"batch_output":[],' +
      '"optimization":{"priority":"PRIORITY_DEFAULT","input_pinned_memory":{"enable":true},"output_pinned_memory":{"enable":true},' +
      '"gather_kernel_buffer_threshold":0,"eager_batching":false},"instance_group":[{"name":"densenet_onnx","kind":"KIND_CPU","count":2,' +
      '"gpus":[],"secondary_devices":[],"profile":[],"passive":false,"host_policy":""}],"default_model_filename":"model.onnx",' +
      '"cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}';
    expect(JSON.stringify(configToJson(c))).toBe(expected);
  });

  it('prints every scalar default, [] for repeated fields, {} for maps, and omits unset sub-messages', () => {
    const j = configToJson(parseConfigText('name: "m"', 'p'));
    expect(j).toEqual({
      name: 'm',
      platform: '',
      backend: '',
      runtime: '',
      max_batch_size: 0,
      input: [],
      output: [],
      batch_input: [],
      batch_output: [],
      instance_group: [],
      default_model_filename: '',
      cc_model_filenames: {},
      metric_tags: {},
      parameters: {},
      model_warmup: [],
    });
    for (const absent of [
      'version_policy',
      'optimization',
      'dynamic_batching',
      'sequence_batching',
      'ensemble_scheduling',
      'model_operations',
      'model_transaction_policy',
      'model_repository_agents',
      'response_cache',
      'model_metrics',
    ]) {
      expect(absent in j, absent).toBe(false);
    }
  });

  it('orders top-level keys in .proto declaration order (not field-number order)', () => {
    const c = parseConfigText(
      `name: "m" platform: "p" backend: "b" max_batch_size: 4
       input { name: "i" data_type: TYPE_FP32 dims: [1] }
       output { name: "o" data_type: TYPE_FP32 dims: [1] }
       optimization { }
       dynamic_batching { }
       instance_group { kind: KIND_CPU }
       version_policy { all { } }
       default_model_filename: "model.x"
       model_transaction_policy { decoupled: true }
       response_cache { enable: true }`,
      'p',
    );
    expect(Object.keys(configToJson(c))).toEqual([
      'name',
      'platform',
      'backend',
      'runtime',
      'version_policy',
      'max_batch_size',
      'input',
      'output',
      'batch_input',
      'batch_output',
      'optimization',
      'dynamic_batching',
      'instance_group',
      'default_model_filename',
      'cc_model_filenames',
      'metric_tags',
      'parameters',
      'model_warmup',
      'model_transaction_policy',
      'response_cache',
    ]);
  });

  it('orders nested keys by declaration order too (output: dims, reshape, label_filename; instance_group: name, kind, count, ...)', () => {
    const c = parseConfigText(
      `max_batch_size: 2
       output { name: "o" data_type: TYPE_INT32 dims: [1] reshape { shape: [] } label_filename: "l.txt" }
       instance_group { count: 3 kind: KIND_CPU name: "g" }
       sequence_batching { max_sequence_idle_microseconds: 5 oldest { max_candidate_sequences: 2 } }`,
      'p',
    );
    const j = configToJson(c);
    const out = obj((j.output as unknown[])[0]);
    expect(Object.keys(out)).toEqual(['name', 'data_type', 'dims', 'reshape', 'label_filename', 'is_shape_tensor', 'is_non_linear_format_io']);
    expect(out.reshape).toEqual({ shape: [] });
    expect(Object.keys(obj((j.instance_group as unknown[])[0]))).toEqual([
      'name',
      'kind',
      'count',
      'gpus',
      'secondary_devices',
      'profile',
      'passive',
      'host_policy',
    ]);
    const sb = obj(j.sequence_batching);
    expect(Object.keys(sb)).toEqual(['oldest', 'max_sequence_idle_microseconds', 'control_input', 'state', 'iterative_sequence']);
    expect(sb.oldest).toEqual({ max_candidate_sequences: 2, preferred_batch_size: [], max_queue_delay_microseconds: 0, preserve_ordering: false });
    expect(sb.max_sequence_idle_microseconds).toBe(5);
  });

  it('prints dynamic_batching exactly like the captured transcript', () => {
    const c = parseConfigText('name: "m" max_batch_size: 4 dynamic_batching { preferred_batch_size: [4] }', 'p');
    const text = JSON.stringify(configToJson(c));
    expect(text).toContain(
      '"dynamic_batching":{"preferred_batch_size":[4],"max_queue_delay_microseconds":0,"preserve_ordering":false,"priority_levels":0,"default_priority_level":0,"priority_queue_policy":{}}',
    );
  });

  it('prints enums by name', () => {
    const c = parseConfigText(
      `input { name: "a" data_type: 13 format: FORMAT_NHWC dims: [1,1,1] }
       instance_group { kind: KIND_MODEL }
       optimization { priority: PRIORITY_MIN }
       dynamic_batching { default_queue_policy { timeout_action: DELAY } }`,
      'p',
    );
    const j = configToJson(c);
    const input = obj((j.input as unknown[])[0]);
    expect(input.data_type).toBe('TYPE_STRING');
    expect(input.format).toBe('FORMAT_NHWC');
    expect(obj((j.instance_group as unknown[])[0]).kind).toBe('KIND_MODEL');
    expect(obj(j.optimization).priority).toBe('PRIORITY_MIN');
    expect(obj(obj(j.dynamic_batching).default_queue_policy).timeout_action).toBe('DELAY');
  });

  it('prints the listed int64/uint64 fields as JSON numbers', () => {
    const c = parseConfigText(
      `name: "m" max_batch_size: 4
       version_policy { specific { versions: [1, 3] } }
       input { name: "i" data_type: TYPE_FP32 dims: [-1, 16] reshape { shape: [16, -1] } }
       output { name: "o" data_type: TYPE_FP32 dims: [2, 3] reshape { shape: [6] } }
       dynamic_batching {
         max_queue_delay_microseconds: 100 priority_levels: 3 default_priority_level: 2
         default_queue_policy { default_timeout_microseconds: 5 max_queue_size: 9 }
         priority_queue_policy { key: 1 value { default_timeout_microseconds: 7 } }
       }
       model_warmup { name: "w" batch_size: 1 inputs { key: "i" value { data_type: TYPE_FP32 dims: [16] zero_data: true } } }`,
      'p',
    );
    const j = configToJson(c);
    expect(obj(j.version_policy)).toEqual({ specific: { versions: [1, 3] } });
    const input = obj((j.input as unknown[])[0]);
    expect(input.dims).toEqual([-1, 16]);
    expect(input.reshape).toEqual({ shape: [16, -1] });
    const output = obj((j.output as unknown[])[0]);
    expect(output.dims).toEqual([2, 3]);
    expect(output.reshape).toEqual({ shape: [6] });
    expect(j.dynamic_batching).toEqual({
      preferred_batch_size: [],
      max_queue_delay_microseconds: 100,
      preserve_ordering: false,
      priority_levels: 3,
      default_priority_level: 2,
      default_queue_policy: { timeout_action: 'REJECT', default_timeout_microseconds: 5, allow_timeout_override: false, max_queue_size: 9 },
      // Map keys stay strings.
      priority_queue_policy: { '1': { timeout_action: 'REJECT', default_timeout_microseconds: 7, allow_timeout_override: false, max_queue_size: 0 } },
    });
    expect(j.model_warmup).toEqual([{ name: 'w', batch_size: 1, inputs: { i: { data_type: 'TYPE_FP32', dims: [16], zero_data: true } }, count: 0 }]);
  });

  it('prints sequence-batching and ensemble 64-bit fields as numbers, but secondary device ids and initial_state dims as strings', () => {
    const s = parseConfigText(
      `name: "s" max_batch_size: 2
       sequence_batching {
         max_sequence_idle_microseconds: 2000000
         direct { max_queue_delay_microseconds: 50 }
         state { input_name: "IN" output_name: "OUT" data_type: TYPE_INT32 dims: [1, -1]
                 initial_state { data_type: TYPE_INT32 dims: [1, 4] zero_data: true name: "z" } }
       }
       instance_group { kind: KIND_CPU secondary_devices { kind: KIND_NVDLA device_id: 5 } }`,
      'p',
    );
    const js = configToJson(s);
    const sb = obj(js.sequence_batching);
    expect(sb.max_sequence_idle_microseconds).toBe(2000000);
    expect(sb.direct).toEqual({ max_queue_delay_microseconds: 50, minimum_slot_utilization: 0 });
    expect(sb.state).toEqual([
      {
        input_name: 'IN',
        output_name: 'OUT',
        data_type: 'TYPE_INT32',
        dims: [1, -1],
        initial_state: [{ data_type: 'TYPE_INT32', dims: ['1', '4'], zero_data: true, name: 'z' }],
        use_same_buffer_for_input_output: false,
        use_growable_memory: false,
      },
    ]);
    expect(obj((js.instance_group as unknown[])[0]).secondary_devices).toEqual([{ kind: 'KIND_NVDLA', device_id: '5' }]);

    const o = configToJson(parseConfigText('sequence_batching { oldest { max_queue_delay_microseconds: 12 } }', 'p'));
    expect(obj(obj(o.sequence_batching).oldest).max_queue_delay_microseconds).toBe(12);

    const e = configToJson(
      parseConfigText(
        `name: "e" platform: "ensemble"
         ensemble_scheduling { step { model_name: "a" model_version: -1 input_map { key: "x" value: "y" } output_map { key: "o" value: "z" } }
                               step { model_name: "b" model_version: 3 } }`,
        'p',
      ),
    );
    expect(e.ensemble_scheduling).toEqual({
      step: [
        { model_name: 'a', model_version: -1, input_map: { x: 'y' }, output_map: { o: 'z' }, model_namespace: '' },
        { model_name: 'b', model_version: 3, input_map: {}, output_map: {}, model_namespace: '' },
      ],
      max_inflight_requests: 0,
    });
  });

  it('prints parameters as {key: {string_value}} and includes set sub-messages such as model_transaction_policy', () => {
    const j = configToJson(parseConfigText('parameters { key: "k" value { string_value: "v" } } model_transaction_policy { }', 'p'));
    expect(j.parameters).toEqual({ k: { string_value: 'v' } });
    expect(j.model_transaction_policy).toEqual({ decoupled: false });
  });
});

describe('configFromJson (load override)', () => {
  it('accepts snake_case keys with int64 as numbers', () => {
    const c = configFromJson({
      name: 'm',
      backend: 'onnxruntime',
      max_batch_size: 8,
      version_policy: { specific: { versions: [2] } },
      input: [{ name: 'a', data_type: 'TYPE_FP32', dims: [-1, 4] }],
      dynamic_batching: { max_queue_delay_microseconds: 100, preferred_batch_size: [4] },
    });
    expect(c.name).toBe('m');
    expect(c.backend).toBe('onnxruntime');
    expect(c.maxBatchSize).toBe(8);
    expect(c.versionPolicy?.policyChoice.case).toBe('specific');
    expect(c.versionPolicy?.policyChoice.case === 'specific' && c.versionPolicy.policyChoice.value.versions).toEqual([2n]);
    expect(c.input[0]?.dataType).toBe(11);
    expect(c.input[0]?.dims).toEqual([-1n, 4n]);
    const s = c.schedulingChoice;
    expect(s.case === 'dynamicBatching' && s.value.maxQueueDelayMicroseconds).toBe(100n);
    expect(s.case === 'dynamicBatching' && s.value.preferredBatchSize).toEqual([4]);
  });

  it('accepts lowerCamelCase keys with int64 as strings', () => {
    const c = configFromJson({
      maxBatchSize: 3,
      versionPolicy: { specific: { versions: ['2', 3] } },
      input: [{ name: 'a', dataType: 'TYPE_INT64', dims: ['4', '-1'], allowRaggedBatch: true }],
      sequenceBatching: { maxSequenceIdleMicroseconds: '18446744073709551615' },
      defaultModelFilename: 'x.onnx',
    });
    expect(c.maxBatchSize).toBe(3);
    expect(c.versionPolicy?.policyChoice.case === 'specific' && c.versionPolicy.policyChoice.value.versions).toEqual([2n, 3n]);
    expect(c.input[0]?.dims).toEqual([4n, -1n]);
    expect(c.input[0]?.allowRaggedBatch).toBe(true);
    const s = c.schedulingChoice;
    expect(s.case === 'sequenceBatching' && s.value.maxSequenceIdleMicroseconds).toBe(18446744073709551615n);
    expect(c.defaultModelFilename).toBe('x.onnx');
  });

  it('accepts the qa L0_lifecycle override example (name omitted)', () => {
    const c = configFromJson({ backend: 'onnxruntime', version_policy: { specific: { versions: [2] } } });
    expect(c.name).toBe('');
    expect(c.backend).toBe('onnxruntime');
  });

  it('parses enum names case-insensitively (Triton sets case_insensitive_enum_parsing)', () => {
    const c = configFromJson({ input: [{ name: 'a', data_type: 'type_fp32', dims: [1] }], instance_group: [{ kind: 'kind_cpu' }] });
    expect(c.input[0]?.dataType).toBe(11);
    expect(c.instanceGroup[0]?.kind).toBe(2);
  });

  it('rejects unknown keys with INVALID_ARG "Invalid config override: ..."', () => {
    const top = caught(() => configFromJson({ name: 'x', bogus: 1 }));
    expect(top.code).toBe('INVALID_ARG');
    expect(top.message).toMatch(/^Invalid config override: .*bogus/);
    const nested = caught(() => configFromJson({ input: [{ name: 'a', nope: true }] }));
    expect(nested.code).toBe('INVALID_ARG');
    expect(nested.message).toMatch(/^Invalid config override: .*nope/);
  });

  it('rejects wrong value types and non-object documents', () => {
    for (const bad of [{ max_batch_size: 'x' }, { input: [{ data_type: 'TYPE_NOPE' }] }, 'str', [1]]) {
      const e = caught(() => configFromJson(bad));
      expect(e.code, JSON.stringify(bad)).toBe('INVALID_ARG');
      expect(e.message, JSON.stringify(bad)).toMatch(/^Invalid config override: /);
    }
  });
});
