import { describe, expect, it } from 'vitest';
import { completeBackendFields, completeFromModelIO, normalizeConfig, type TensorSpec } from '../../src/core/config/complete.ts';
import type { ModelConfig } from '../../src/core/config/gen/model_config_pb.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { validateConfig } from '../../src/core/config/validate.ts';
import { caught } from './helpers.ts';

// Enum numbers from proto/model_config.proto.
const KIND_GPU = 1;
const KIND_CPU = 2;
const TYPE_BOOL = 1;
const TYPE_INT64 = 9;
const TYPE_FP32 = 11;
const TYPE_STRING = 13;

const cfg = (text: string): ModelConfig => parseConfigText(text, 'config.pbtxt');

function backendFields(text: string, model: string, files: string[]) {
  const c = cfg(text);
  completeBackendFields(c, model, files);
  return { name: c.name, backend: c.backend, platform: c.platform, default_model_filename: c.defaultModelFilename };
}

describe('completeBackendFields (backend detection, triton-model-config.md §1)', () => {
  it.each([
    ['model.savedmodel', 'tensorflow', 'tensorflow_savedmodel'],
    ['model.graphdef', 'tensorflow', 'tensorflow_graphdef'],
    ['model.plan', 'tensorrt', 'tensorrt_plan'],
    ['model.onnx', 'onnxruntime', 'onnxruntime_onnx'],
    ['model.xml', 'openvino', ''],
    ['model.pt', 'pytorch', 'pytorch_libtorch'],
    ['model.pt2', 'pytorch', 'torch_aoti'],
    ['model.py', 'python', ''],
    ['model.js', 'js', ''],
  ])('detects %s in the first version directory', (file, backend, platform) => {
    expect(backendFields('', 'm', [file])).toEqual({ name: 'm', backend, platform, default_model_filename: file });
  });

  it.each([
    ['tensorflow_savedmodel', 'tensorflow', 'model.savedmodel'],
    ['tensorflow_graphdef', 'tensorflow', 'model.graphdef'],
    ['tensorrt_plan', 'tensorrt', 'model.plan'],
    ['onnxruntime_onnx', 'onnxruntime', 'model.onnx'],
    ['pytorch_libtorch', 'pytorch', 'model.pt'],
    ['torch_aoti', 'pytorch', 'model.pt2'],
  ])('derives the backend from platform %s', (platform, backend, file) => {
    expect(backendFields(`platform: "${platform}"`, 'm', [])).toEqual({ name: 'm', backend, platform, default_model_filename: file });
  });

  it('fills the platform from backend onnxruntime and keeps explicit fields', () => {
    expect(backendFields('backend: "onnxruntime"', 'm', [])).toEqual({
      name: 'm',
      backend: 'onnxruntime',
      platform: 'onnxruntime_onnx',
      default_model_filename: 'model.onnx',
    });
    expect(backendFields('backend: "onnxruntime" default_model_filename: "net.onnx"', 'm', ['net.onnx'])).toMatchObject({ default_model_filename: 'net.onnx' });
  });

  it('prefers onnx over python when both files are present (detection order)', () => {
    expect(backendFields('', 'm', ['model.py', 'model.onnx'])).toMatchObject({ backend: 'onnxruntime', platform: 'onnxruntime_onnx' });
  });

  it('uses the model name suffix x.<be> when nothing is detectable', () => {
    expect(backendFields('', 'x.foo', [])).toEqual({ name: 'x.foo', backend: 'foo', platform: '', default_model_filename: 'model.foo' });
    expect(backendFields('', 'x.foo', ['readme.txt'])).toMatchObject({ backend: 'foo' });
  });

  it('keeps an unknown explicit backend and derives model.<backend>', () => {
    expect(backendFields('backend: "custom"', 'm', [])).toEqual({ name: 'm', backend: 'custom', platform: '', default_model_filename: 'model.custom' });
  });

  it('leaves ensembles with an empty backend', () => {
    expect(backendFields('platform: "ensemble"', 'ens', [])).toEqual({ name: 'ens', backend: '', platform: 'ensemble', default_model_filename: '' });
  });

  it('fails for a name without a dot and nothing detectable', () => {
    expect(caught(() => backendFields('', 'nodot', ['weights.bin']))).toEqual({
      code: 'INVALID_ARG',
      message:
        "Invalid model name: Could not determine backend for model 'nodot' with no backend in model configuration. Expected model name of the form 'model.<backend_name>'.",
    });
  });

  it('fills an empty name from the directory and rejects a mismatching one', () => {
    expect(backendFields('', 'dir_name', ['model.onnx']).name).toBe('dir_name');
    expect(caught(() => backendFields('name: "other"', 'dir_name', ['model.onnx']))).toEqual({
      code: 'INVALID_ARG',
      message: "unexpected directory name 'dir_name' for model 'other', directory name must equal model name",
    });
  });
});

const spec = (name: string, datatype: TensorSpec['datatype'], dims: number[]): TensorSpec => ({ name, datatype, dims });

function autoComplete(text: string, io: { inputs: TensorSpec[]; outputs: TensorSpec[] }): ModelConfig {
  const c = cfg(text);
  completeBackendFields(c, 'm', ['model.onnx']);
  completeFromModelIO(c, io);
  return c;
}

describe('completeFromModelIO (ONNX Runtime auto-complete, §3)', () => {
  const batchable = { inputs: [spec('x', 'FP32', [-1, 3, 4])], outputs: [spec('y', 'INT64', [-1, 2])] };

  it('sets max_batch_size 4 for a batching-capable model, adds dynamic_batching and strips the batch dim', () => {
    const c = autoComplete('', batchable);
    expect(c.maxBatchSize).toBe(4);
    expect(c.schedulingChoice.case).toBe('dynamicBatching');
    expect(c.input.map((i) => [i.name, i.dataType, i.dims, i.reshape])).toEqual([['x', TYPE_FP32, [3n, 4n], undefined]]);
    expect(c.output.map((o) => [o.name, o.dataType, o.dims, o.reshape])).toEqual([['y', TYPE_INT64, [2n], undefined]]);
  });

  it('honours a non-default default-max-batch-size', () => {
    expect(autoComplete('', batchable).maxBatchSize).toBe(4);
    const c = cfg('');
    completeBackendFields(c, 'm', ['model.onnx']);
    completeFromModelIO(c, batchable, 16);
    expect(c.maxBatchSize).toBe(16);
  });

  it('keeps an explicit max_batch_size; adds dynamic_batching only when it is > 1 and no scheduler is set', () => {
    const one = autoComplete('max_batch_size: 1', batchable);
    expect(one.maxBatchSize).toBe(1);
    expect(one.schedulingChoice.case).toBeUndefined();
    const eight = autoComplete('max_batch_size: 8', batchable);
    expect(eight.maxBatchSize).toBe(8);
    expect(eight.schedulingChoice.case).toBe('dynamicBatching');
    const seq = autoComplete('max_batch_size: 8 sequence_batching { }', batchable);
    expect(seq.schedulingChoice.case).toBe('sequenceBatching');
  });

  it('leaves max_batch_size 0 when the model cannot batch (a tensor without leading -1 or of rank 0)', () => {
    const fixed = autoComplete('', { inputs: [spec('x', 'FP32', [2, 3])], outputs: [spec('y', 'FP32', [-1])] });
    expect(fixed.maxBatchSize).toBe(0);
    expect(fixed.schedulingChoice.case).toBeUndefined();
    expect(fixed.input[0]?.dims).toEqual([2n, 3n]);
    expect(fixed.output[0]?.dims).toEqual([-1n]);
    const scalar = autoComplete('', { inputs: [spec('x', 'FP32', [-1])], outputs: [spec('y', 'FP32', [])] });
    expect(scalar.maxBatchSize).toBe(0);
  });

  it('fails when the model cannot batch but max_batch_size is non-zero', () => {
    const e = caught(() => autoComplete('max_batch_size: 2', { inputs: [spec('x', 'FP32', [2, 3])], outputs: [spec('y', 'FP32', [-1])] }));
    expect(e).toEqual({
      code: 'INVALID_ARG',
      message: "autofill failed for model 'm': model does not support batching while non-zero max_batch_size is specified",
    });
  });

  it('turns a per-item scalar into dims [1] with an empty reshape only when batching', () => {
    const batching = autoComplete('', { inputs: [spec('x', 'FP32', [-1])], outputs: [spec('y', 'BOOL', [-1])] });
    expect(batching.maxBatchSize).toBe(4);
    expect(batching.input[0]?.dims).toEqual([1n]);
    expect(batching.input[0]?.reshape?.shape).toEqual([]);
    expect(batching.output[0]?.dims).toEqual([1n]);
    expect(batching.output[0]?.reshape?.shape).toEqual([]);

    const plain = autoComplete('', { inputs: [spec('x', 'BYTES', [])], outputs: [spec('y', 'BOOL', [])] });
    expect(plain.maxBatchSize).toBe(0);
    expect(plain.input.map((i) => [i.dataType, i.dims, i.reshape])).toEqual([[TYPE_STRING, [1n], undefined]]);
    expect(plain.output.map((o) => [o.dataType, o.dims, o.reshape])).toEqual([[TYPE_BOOL, [1n], undefined]]);
  });

  it('leaves a config that already has inputs and outputs untouched', () => {
    const text = 'input { name: "x" data_type: TYPE_FP32 dims: [7] } output { name: "y" data_type: TYPE_FP32 dims: [7] }';
    const c = autoComplete(text, batchable);
    expect(c.maxBatchSize).toBe(0);
    expect(c.schedulingChoice.case).toBeUndefined();
    expect(c.input.map((i) => [i.name, i.dims])).toEqual([['x', [7n]]]);
    expect(c.output.map((o) => [o.name, o.dims])).toEqual([['y', [7n]]]);
  });

  it('fills only the missing side and keeps configured tensors', () => {
    const c = autoComplete('input { name: "x" data_type: TYPE_FP32 dims: [3, 4] }', batchable);
    expect(c.input.map((i) => [i.name, i.dims])).toEqual([['x', [3n, 4n]]]);
    expect(c.output.map((o) => [o.name, o.dims])).toEqual([['y', [2n]]]);
  });
});

describe('normalizeConfig', () => {
  const norm = (text: string, gpuCount = 0, model = 'm', files = ['model.onnx']): ModelConfig => {
    const c = cfg(text);
    completeBackendFields(c, model, files);
    normalizeConfig(c, { gpuCount });
    return c;
  };

  it('defaults the version policy to latest { num_versions: 1 } and keeps an explicit one', () => {
    expect(norm('').versionPolicy?.policyChoice).toMatchObject({ case: 'latest', value: { numVersions: 1 } });
    expect(norm('version_policy { all { } }').versionPolicy?.policyChoice.case).toBe('all');
    expect(norm('version_policy { latest { num_versions: 3 } }').versionPolicy?.policyChoice).toMatchObject({ case: 'latest', value: { numVersions: 3 } });
  });

  it('fills preferred_batch_size [max_batch_size] for an empty dynamic_batching, and keeps explicit sizes', () => {
    const a = norm('max_batch_size: 8 dynamic_batching { }').schedulingChoice;
    expect(a.case === 'dynamicBatching' && a.value.preferredBatchSize).toEqual([8]);
    const b = norm('max_batch_size: 8 dynamic_batching { preferred_batch_size: [2, 4] }').schedulingChoice;
    expect(b.case === 'dynamicBatching' && b.value.preferredBatchSize).toEqual([2, 4]);
  });

  it('defaults sequence idle to 1000000 us and the strategy to direct', () => {
    const s = norm('max_batch_size: 2 sequence_batching { }').schedulingChoice;
    if (s.case !== 'sequenceBatching') throw new Error('expected sequence_batching');
    expect(s.value.maxSequenceIdleMicroseconds).toBe(1000000n);
    expect(s.value.strategyChoice.case).toBe('direct');
    const t = norm('max_batch_size: 2 sequence_batching { max_sequence_idle_microseconds: 5 oldest { } }').schedulingChoice;
    if (t.case !== 'sequenceBatching') throw new Error('expected sequence_batching');
    expect(t.value.maxSequenceIdleMicroseconds).toBe(5n);
    expect(t.value.strategyChoice.case).toBe('oldest');
  });

  it('sets pinned-memory flags to true when absent, keeps explicit false', () => {
    const a = norm('');
    expect(a.optimization?.inputPinnedMemory?.enable).toBe(true);
    expect(a.optimization?.outputPinnedMemory?.enable).toBe(true);
    const b = norm('optimization { input_pinned_memory { enable: false } }');
    expect(b.optimization?.inputPinnedMemory?.enable).toBe(false);
    expect(b.optimization?.outputPinnedMemory?.enable).toBe(true);
  });

  it('creates one instance group named after the model: KIND_CPU, count 2 for onnxruntime', () => {
    expect(norm('').instanceGroup.map((g) => [g.name, g.kind, g.count, g.gpus])).toEqual([['m', KIND_CPU, 2, []]]);
  });

  it('uses count 1 for KIND_CPU with other backends', () => {
    expect(norm('', 0, 'm', ['model.py']).instanceGroup.map((g) => [g.name, g.kind, g.count])).toEqual([['m', KIND_CPU, 1]]);
    expect(norm('', 0, 'x.js', []).instanceGroup.map((g) => [g.kind, g.count])).toEqual([[KIND_CPU, 1]]);
  });

  it('names unnamed groups <model>_<index>, keeps names and explicit counts', () => {
    const c = norm('instance_group [ { count: 0 }, { name: "g", kind: KIND_CPU, count: 3 }, { kind: KIND_AUTO } ]');
    expect(c.instanceGroup.map((g) => [g.name, g.kind, g.count])).toEqual([
      ['m_0', KIND_CPU, 2],
      ['g', KIND_CPU, 3],
      ['m_2', KIND_CPU, 2],
    ]);
  });

  it('resolves KIND_AUTO to KIND_GPU with all GPUs when GPUs exist', () => {
    const c = norm('instance_group [ { kind: KIND_AUTO } ]', 2);
    expect(c.instanceGroup.map((g) => [g.kind, g.count, g.gpus])).toEqual([[KIND_GPU, 1, [0, 1]]]);
  });

  it('does not touch ensembles beyond the version policy (no instance groups, no optimization)', () => {
    const c = norm('platform: "ensemble" ensemble_scheduling { step { model_name: "a" } }', 0, 'ens', []);
    expect(c.instanceGroup).toEqual([]);
    expect(c.optimization).toBeUndefined();
    expect(c.versionPolicy?.policyChoice.case).toBe('latest');
  });
});

describe('validateConfig (§2 messages)', () => {
  const ok = (text: string, gpuCount = 0) => validateConfig(cfg(text), { gpuCount });
  const err = (text: string, gpuCount = 0) => caught(() => validateConfig(cfg(text), { gpuCount }));
  const base = 'name: "m" backend: "onnxruntime" ';

  it('accepts a valid config', () => {
    expect(() =>
      ok(`${base} max_batch_size: 4
        input { name: "a" data_type: TYPE_FP32 dims: [-1, 3] }
        output { name: "b" data_type: TYPE_FP32 dims: [1] reshape { shape: [] } }
        dynamic_batching { preferred_batch_size: [2, 4] priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 2 value { } } }
        instance_group { name: "g" kind: KIND_CPU count: 2 }`),
    ).not.toThrow();
  });

  it.each([
    ['backend: "x"', "model configuration must specify 'name'"],
    ['name: "m"', "must specify 'platform' or 'backend' for 'm'"],
    ['name: "m" platform: "foo"', "unexpected platform type 'foo' for m"],
    ['name: "m" platform: "ensemble" backend: "x" ensemble_scheduling { }', "unexpected 'platform' and 'backend' pair, got:ensemble, x"],
    [`${base} max_batch_size: -1`, "'max_batch_size' must be non-negative value for m"],
  ])('top-level: %s', (text, message) => {
    expect(err(text)).toEqual({ code: 'INVALID_ARG', message });
  });

  it.each([
    ['input { data_type: TYPE_FP32 dims: [1] }', "model input must specify 'name' for m"],
    ['input { name: "a" dims: [1] }', "model input 'a' must specify 'data_type' for m"],
    ['input { name: "a" data_type: TYPE_FP32 }', "model input 'a' must specify 'dims' for m"],
    ['input { name: "a" data_type: TYPE_FP32 dims: [0] }', "model input 'a' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m"],
    [
      'input { name: "a" data_type: TYPE_FP32 dims: [4, -2] }',
      "model input 'a' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m",
    ],
    ['output { data_type: TYPE_FP32 dims: [1] }', "model output must specify 'name' for m"],
    ['output { name: "o" dims: [1] }', "model output 'o' must specify 'data_type' for m"],
    ['output { name: "o" data_type: TYPE_FP32 }', "model output 'o' must specify 'dims' for m"],
    ['output { name: "o" data_type: TYPE_FP32 dims: [2] reshape { shape: [3] } }', "model output 'o' has different size for dims and reshape for m"],
    [
      'input { name: "a" data_type: TYPE_FP32 dims: [2] reshape { shape: [0] } }',
      "model input 'a' reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension for m",
    ],
    [
      'output { name: "o" data_type: TYPE_FP32 dims: [1] reshape { shape: [] } }',
      "model output 'o' cannot have empty reshape for non-batching model as scalar tensors are not supported for m",
    ],
  ])('I/O: %s', (io, message) => {
    expect(err(base + io)).toEqual({ code: 'INVALID_ARG', message });
  });

  it('accepts matching dims/reshape pairs', () => {
    expect(() => ok(`${base} output { name: "o" data_type: TYPE_FP32 dims: [2, 3] reshape { shape: [6] } }`)).not.toThrow();
    expect(() => ok(`${base} input { name: "a" data_type: TYPE_FP32 dims: [-1, 4] reshape { shape: [2, 2, -1] } }`)).not.toThrow();
    expect(() => ok(`${base} max_batch_size: 2 input { name: "a" data_type: TYPE_FP32 dims: [1] reshape { shape: [] } }`)).not.toThrow();
  });

  it('skips I/O checks when checkIO is false (auto-complete still to run)', () => {
    expect(() => validateConfig(cfg(`${base} input { name: "a" }`), { gpuCount: 0, checkIO: false })).not.toThrow();
  });

  it('checks dynamic batching preferred sizes and priority levels', () => {
    const db = (s: string) => err(`${base} max_batch_size: 4 dynamic_batching { ${s} }`);
    expect(db('preferred_batch_size: [0]')).toEqual({ code: 'INVALID_ARG', message: 'dynamic batching preferred size must be positive for m' });
    expect(db('preferred_batch_size: [2, 5]')).toEqual({ code: 'INVALID_ARG', message: 'dynamic batching preferred size must be <= max batch size for m' });
    expect(db('priority_levels: 3')).toEqual({ code: 'INVALID_ARG', message: 'default priority level must be in range [1, 3] for m' });
    expect(db('priority_levels: 3 default_priority_level: 4')).toEqual({
      code: 'INVALID_ARG',
      message: 'default priority level must be in range [1, 3] for m',
    });
    const key = db('priority_levels: 3 default_priority_level: 1 priority_queue_policy { key: 4 value { } }');
    expect(key.code).toBe('INVALID_ARG');
    expect(key.message).toMatch(/priority.*\[1, 3\].* for m$/);
    const order = db('preserve_ordering: true priority_levels: 2 default_priority_level: 1');
    expect(order.code).toBe('INVALID_ARG');
    expect(order.message).toMatch(/preserve_ordering/);
    const delay = db('preserve_ordering: true default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 10 }');
    expect(delay.code).toBe('INVALID_ARG');
    expect(delay.message).toMatch(/DELAY/);
    expect(() => ok(`${base} max_batch_size: 4 dynamic_batching { preserve_ordering: true default_queue_policy { timeout_action: DELAY } }`)).not.toThrow();
  });

  it('checks instance groups against the available GPUs', () => {
    expect(err(`${base} instance_group { name: "g" kind: KIND_CPU gpus: [0] }`)).toEqual({
      code: 'INVALID_ARG',
      message: 'instance group g of model m has kind KIND_CPU but specifies one or more GPUs',
    });
    expect(err(`${base} instance_group { name: "g" kind: KIND_GPU }`, 1)).toEqual({
      code: 'INVALID_ARG',
      message: 'instance group g of model m has kind KIND_GPU but specifies no GPUs',
    });
    const bad = err(`${base} instance_group { name: "g" kind: KIND_GPU gpus: [3] }`, 2);
    expect(bad.code).toBe('INVALID_ARG');
    expect(bad.message).toMatch(/^instance group g of model m specifies invalid or unsupported gpu id 3/);
    expect(() => ok(`${base} instance_group { name: "g" kind: KIND_GPU gpus: [1] }`, 2)).not.toThrow();
  });

  it('checks ensemble rules', () => {
    expect(err('name: "e" platform: "ensemble"').code).toBe('INVALID_ARG');
    const ig = err('name: "e" platform: "ensemble" ensemble_scheduling { step { model_name: "a" } } instance_group { }');
    expect(ig.code).toBe('INVALID_ARG');
    expect(ig.message).toMatch(/instance group/);
    const notEns = err(`${base} ensemble_scheduling { }`);
    expect(notEns.code).toBe('INVALID_ARG');
    expect(notEns.message).toMatch(/ensemble/);
  });

  it('validates a normalised, auto-completed ONNX config', () => {
    const c = cfg('');
    completeBackendFields(c, 'm', ['model.onnx']);
    completeFromModelIO(c, { inputs: [spec('x', 'FP32', [-1, 3])], outputs: [spec('y', 'FP32', [-1])] });
    normalizeConfig(c, { gpuCount: 0 });
    expect(() => validateConfig(c, { gpuCount: 0 })).not.toThrow();
  });
});
