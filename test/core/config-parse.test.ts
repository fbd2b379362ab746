import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { caught } from './helpers.ts';

/** The scheduling oneof's active member, for assertions. */
function scheduling(text: string): { case: string | undefined; value: unknown } {
  const c = parseConfigText(text, 'config.pbtxt');
  return c.schedulingChoice as { case: string | undefined; value: unknown };
}

describe('parseConfigText: text-format grammar', () => {
  it('accepts # comments anywhere and insignificant whitespace/newlines', () => {
    const c = parseConfigText(
      [
        '# leading comment',
        'name:    "m"   # trailing comment with "quotes" and { braces',
        '',
        '   max_batch_size   :',
        '      8',
        '# final comment without newline',
      ].join('\n'),
      'p',
    );
    expect(c.name).toBe('m');
    expect(c.maxBatchSize).toBe(8);
  });

  it('concatenates repeated list syntax given twice with plain repeated fields', () => {
    const c = parseConfigText(
      `input [ { name: "A" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "B" data_type: TYPE_INT32 dims: [ 2 ] } ]
       input [ { name: "C" data_type: TYPE_BOOL dims: [ 1 ] } ]
       input { name: "D" data_type: TYPE_UINT8 dims: [ 3 ] }`,
      'p',
    );
    expect(c.input.map((i) => i.name)).toEqual(['A', 'B', 'C', 'D']);
    // DataType numbers from model_config.proto: FP32=11, INT32=8, BOOL=1, UINT8=2.
    expect(c.input.map((i) => i.dataType)).toEqual([11, 8, 1, 2]);
  });

  it('accepts `input: [ ... ]` (optional colon before a message list) and an empty list', () => {
    const c = parseConfigText('input: [ { name: "a" } ] output: [ ]', 'p');
    expect(c.input.map((i) => i.name)).toEqual(['a']);
    expect(c.output).toEqual([]);
  });

  it('accepts the repeated scalar forms dims: [16], dims: [4, -1], dims: 16 and dims: 4 dims: -1', () => {
    const c = parseConfigText(
      `input { name: "a" dims: [16] }
       input { name: "b" dims: [ 4, -1 ] }
       input { name: "c" dims: 16 }
       input { name: "d" dims: 4 dims: -1 }
       input { name: "e" dims: [2] dims: 3 dims: [4, 5] }`,
      'p',
    );
    expect(c.input.map((i) => i.dims)).toEqual([[16n], [4n, -1n], [16n], [4n, -1n], [2n, 3n, 4n, 5n]]);
  });

  it('accepts `;` and `,` as optional field separators', () => {
    const c = parseConfigText(
      `name: "m"; platform: "onnxruntime_onnx", max_batch_size: 2;
       parameters [ { key: "execute_delay_ms"; value: { string_value: "1000" }} ]
       input [ { name: "a", data_type: TYPE_FP32, dims: [ 1 ] } ];`,
      'p',
    );
    expect(c.name).toBe('m');
    expect(c.platform).toBe('onnxruntime_onnx');
    expect(c.maxBatchSize).toBe(2);
    expect(c.parameters.execute_delay_ms?.stringValue).toBe('1000');
    expect(c.input[0]?.name).toBe('a');
  });

  it('accepts `< >` as message brackets and `name: { }` with a colon', () => {
    const c = parseConfigText(
      `optimization < priority: PRIORITY_MAX input_pinned_memory < enable: true > >
       version_policy: < latest: { num_versions: 3 } >`,
      'p',
    );
    expect(c.optimization?.priority).toBe(1); // PRIORITY_MAX = 1
    expect(c.optimization?.inputPinnedMemory?.enable).toBe(true);
    expect(c.versionPolicy?.policyChoice).toMatchObject({ case: 'latest', value: { numVersions: 3 } });
  });

  it('accepts enums by name and by number', () => {
    const c = parseConfigText(
      `input { name: "a" data_type: TYPE_STRING format: FORMAT_NCHW }
       input { name: "b" data_type: 14 format: 1 }
       instance_group [ { kind: KIND_GPU }, { kind: 2 } ]
       dynamic_batching { default_queue_policy { timeout_action: DELAY } }`,
      'p',
    );
    expect(c.input.map((i) => [i.dataType, i.format])).toEqual([
      [13, 2], // TYPE_STRING, FORMAT_NCHW
      [14, 1], // TYPE_BF16, FORMAT_NHWC
    ]);
    expect(c.instanceGroup.map((g) => g.kind)).toEqual([1, 2]); // KIND_GPU, KIND_CPU
    const s = c.schedulingChoice;
    expect(s.case).toBe('dynamicBatching');
    expect(s.case === 'dynamicBatching' && s.value.defaultQueuePolicy?.timeoutAction).toBe(1); // DELAY
  });

  it('accepts the bool spellings true/True/t/1 and false/False/f/0', () => {
    const c = parseConfigText(
      `input { name: "a" optional: True allow_ragged_batch: t is_shape_tensor: 1 }
       input { name: "b" optional: true allow_ragged_batch: False is_shape_tensor: f }
       input { name: "c" optional: false allow_ragged_batch: 0 is_shape_tensor: true }`,
      'p',
    );
    expect(c.input.map((i) => [i.optional, i.allowRaggedBatch, i.isShapeTensor])).toEqual([
      [true, true, true],
      [true, false, false],
      [false, false, true],
    ]);
  });

  it('accepts decimal, negative, hex and octal integers, with full int64/uint64 range', () => {
    const c = parseConfigText(
      `max_batch_size: 0x10
       instance_group { count: 010 }
       input { name: "a" dims: [ -1, 0x7FFFFFFFFFFFFFFF, -9223372036854775808 ] }
       dynamic_batching { max_queue_delay_microseconds: 18446744073709551615 priority_levels: 0xff }`,
      'p',
    );
    expect(c.maxBatchSize).toBe(16);
    expect(c.instanceGroup[0]?.count).toBe(8);
    expect(c.input[0]?.dims).toEqual([-1n, 9223372036854775807n, -9223372036854775808n]);
    const s = c.schedulingChoice;
    expect(s.case === 'dynamicBatching' && s.value.maxQueueDelayMicroseconds).toBe(18446744073709551615n);
    expect(s.case === 'dynamicBatching' && s.value.priorityLevels).toBe(255n);
  });

  it('accepts integers and float literal forms for float fields (fp32_false_true: [0, 1], .5, 1e3, inf, nan, 1.5f)', () => {
    const c = parseConfigText(
      `sequence_batching { control_input [ { name: "START" control [ {
         kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, 1 ] } ] },
       { name: "X" control [ { kind: CONTROL_SEQUENCE_READY fp32_false_true: [ .5, 1e3, inf, -inf, nan, 1.5f ] int32_false_true: [ 0, 1 ] bool_false_true: [ f, t ] } ] } ] }`,
      'p',
    );
    const s = c.schedulingChoice;
    if (s.case !== 'sequenceBatching') throw new Error('expected sequence_batching');
    const [start, x] = s.value.controlInput;
    expect(start?.control[0]?.kind).toBe(0);
    expect(start?.control[0]?.fp32FalseTrue).toEqual([0, 1]);
    expect(x?.control[0]?.kind).toBe(1);
    expect(x?.control[0]?.fp32FalseTrue).toEqual([0.5, 1000, Infinity, -Infinity, NaN, 1.5]);
    expect(x?.control[0]?.int32FalseTrue).toEqual([0, 1]);
    expect(x?.control[0]?.boolFalseTrue).toEqual([false, true]);
  });

  it('concatenates adjacent string literals and decodes escapes in single and double quotes', () => {
    const c = parseConfigText(`name: "ab" 'c' "d"  platform: "\\x41\\102\\n\\"q\\"" backend: 'it\\'s'`, 'p');
    expect(c.name).toBe('abcd');
    expect(c.platform).toBe('AB\n"q"');
    expect(c.backend).toBe("it's");
  });

  it('reads map entries: parameters, ensemble input_map/output_map, priority_queue_policy with uint64 keys', () => {
    const c = parseConfigText(
      `parameters { key: "a" value: { string_value: "1" } }
       parameters [ { key: "b", value < string_value: "2" > }, { key: "c" value { string_value: "x" "y" } } ]
       dynamic_batching {
         priority_levels: 3
         priority_queue_policy { key: 1 value: { max_queue_size: 7 } }
         priority_queue_policy: { key: 0x3 value { timeout_action: DELAY default_timeout_microseconds: 100 } }
       }`,
      'p',
    );
    expect(Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, v.stringValue]))).toEqual({ a: '1', b: '2', c: 'xy' });
    const s = c.schedulingChoice;
    if (s.case !== 'dynamicBatching') throw new Error('expected dynamic_batching');
    expect(Object.keys(s.value.priorityQueuePolicy).sort()).toEqual(['1', '3']);
    expect(s.value.priorityQueuePolicy['1']?.maxQueueSize).toBe(7);
    expect(s.value.priorityQueuePolicy['3']?.timeoutAction).toBe(1);
    expect(s.value.priorityQueuePolicy['3']?.defaultTimeoutMicroseconds).toBe(100n);

    const e = parseConfigText(
      `platform: "ensemble"
       ensemble_scheduling { step [ {
         model_name: "pre" model_version: -1
         input_map { key: "INPUT0" value: "RAW" }
         input_map: { key: "INPUT1", value: "RAW2" }
         output_map [ { key: "OUT" value: "mid" } ]
       } ] }`,
      'p',
    );
    const es = e.schedulingChoice;
    if (es.case !== 'ensembleScheduling') throw new Error('expected ensemble_scheduling');
    expect(es.value.step[0]?.modelName).toBe('pre');
    expect(es.value.step[0]?.modelVersion).toBe(-1n);
    expect(es.value.step[0]?.inputMap).toEqual({ INPUT0: 'RAW', INPUT1: 'RAW2' });
    expect(es.value.step[0]?.outputMap).toEqual({ OUT: 'mid' });
  });

  it('reads the version_policy oneof: all {}, latest {}, specific { versions: [1,3] }', () => {
    const all = parseConfigText('version_policy: { all { }}', 'p').versionPolicy?.policyChoice;
    expect(all?.case).toBe('all');
    const latest = parseConfigText('version_policy: { latest { num_versions: 2 }}', 'p').versionPolicy?.policyChoice;
    expect(latest).toMatchObject({ case: 'latest', value: { numVersions: 2 } });
    const specific = parseConfigText('version_policy: { specific { versions: [1,3] }}', 'p').versionPolicy?.policyChoice;
    expect(specific?.case).toBe('specific');
    expect(specific?.case === 'specific' && specific.value.versions).toEqual([1n, 3n]);
  });

  it('keeps presence of empty messages (dynamic_batching { }, optimization { }, reshape: { shape: [ ] })', () => {
    const c = parseConfigText('dynamic_batching { } optimization { } output { name: "o" dims: [1] reshape: { shape: [ ] } }', 'p');
    expect(scheduling('dynamic_batching { }').case).toBe('dynamicBatching');
    expect(c.optimization).toBeDefined();
    expect(c.output[0]?.reshape).toBeDefined();
    expect(c.output[0]?.reshape?.shape).toEqual([]);
    expect(parseConfigText('name: "m"', 'p').optimization).toBeUndefined();
    expect(scheduling('name: "m"').case).toBeUndefined();
  });

  it('parses a realistic Triton config (qa namespacing style)', () => {
    const c = parseConfigText(
      `name: "simple"
backend: "python"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
input [
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
    label_filename: "labels.txt"
  }
]
instance_group [ { kind: KIND_CPU, count: 2 } ]
dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100 }
`,
      '/models/simple/config.pbtxt',
    );
    expect(c.name).toBe('simple');
    expect(c.backend).toBe('python');
    expect(c.input.map((i) => i.name)).toEqual(['INPUT0', 'INPUT1']);
    expect(c.output[0]?.labelFilename).toBe('labels.txt');
    expect(c.instanceGroup[0]?.count).toBe(2);
    const s = c.schedulingChoice;
    expect(s.case === 'dynamicBatching' && s.value.preferredBatchSize).toEqual([4, 8]);
  });
});

describe('parseConfigText: strictness (errors are INVALID_ARG)', () => {
  const prefix = 'failed to read text proto from /repo/m/config.pbtxt: ';

  it('rejects two members of the scheduling oneof', () => {
    const e = caught(() => parseConfigText('dynamic_batching { } sequence_batching { }', '/repo/m/config.pbtxt'));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message.startsWith(`${prefix}line 1, column 22: `)).toBe(true);
  });

  it('rejects two members of the version_policy oneof', () => {
    const e = caught(() => parseConfigText('version_policy { all { } latest { } }', '/repo/m/config.pbtxt'));
    expect(e.code).toBe('INVALID_ARG');
    expect(e.message.startsWith(`${prefix}line 1, column 26: `)).toBe(true);
  });

  it('rejects a duplicated singular scalar field and a duplicated singular message field', () => {
    const a = caught(() => parseConfigText('name: "a" name: "b"', '/repo/m/config.pbtxt'));
    expect(a.code).toBe('INVALID_ARG');
    expect(a.message.startsWith(`${prefix}line 1, column 11: `)).toBe(true);
    const b = caught(() => parseConfigText('optimization { }\noptimization { }', '/repo/m/config.pbtxt'));
    expect(b.code).toBe('INVALID_ARG');
    expect(b.message.startsWith(`${prefix}line 2, column 1: `)).toBe(true);
  });

  it('rejects unknown fields at top level and nested', () => {
    const a = caught(() => parseConfigText('name: "a"\nrate: 1', '/repo/m/config.pbtxt'));
    expect(a).toEqual({
      code: 'INVALID_ARG',
      message: expect.stringMatching(/^failed to read text proto from \/repo\/m\/config\.pbtxt: line 2, column 1: .*rate/),
    });
    const b = caught(() => parseConfigText('input { name: "a" bogus: 1 }', '/repo/m/config.pbtxt'));
    expect(b.code).toBe('INVALID_ARG');
    expect(b.message).toMatch(/^failed to read text proto from \/repo\/m\/config\.pbtxt: line 1, column 19: .*bogus/);
  });

  it('rejects unknown enum names, out-of-range integers, wrong value types and bad bools', () => {
    for (const [text, col] of [
      ['input { data_type: TYPE_FOO }', 20],
      ['max_batch_size: 99999999999', 17],
      ['dynamic_batching { max_queue_delay_microseconds: 18446744073709551616 }', 50],
      ['dynamic_batching { priority_levels: -1 }', 37],
      ['max_batch_size: 1.5', 17],
      ['input { optional: 2 }', 19],
      ['input { optional: T }', 19],
    ] as const) {
      const e = caught(() => parseConfigText(text, 'x.pbtxt'));
      expect(e.code, text).toBe('INVALID_ARG');
      expect(e.message, text).toMatch(new RegExp(`^failed to read text proto from x\\.pbtxt: line 1, column ${col}: `));
    }
  });

  it('uses the default path config.pbtxt when none is given', () => {
    expect(caught(() => parseConfigText('nope: 1')).message).toMatch(/^failed to read text proto from config\.pbtxt: line 1, column 1: /);
  });
});

describe('parseConfigText: error positions (line L, column C of the offending token, 1-based)', () => {
  const P = '/repo/m/config.pbtxt';
  const at = (text: string) => {
    const e = caught(() => parseConfigText(text, P));
    expect(e.code).toBe('INVALID_ARG');
    const m = /^failed to read text proto from \/repo\/m\/config\.pbtxt: line (\d+), column (\d+): (.+)$/s.exec(e.message);
    expect(m, e.message).not.toBeNull();
    return { line: Number(m![1]), column: Number(m![2]), reason: m![3]! };
  };

  it('unknown field deep inside a multi-line list', () => {
    const text = ['name: "m"', 'input [', '  {', '    name: "INPUT0"', '    data_typo: TYPE_FP32', '  }', ']'].join('\n');
    expect(at(text)).toMatchObject({ line: 5, column: 5, reason: expect.stringContaining('data_typo') });
  });

  it('unknown top-level field after comments on several lines', () => {
    const text = 'name: "a" # comment "x" {\n  platform: "p" # c\n\n  nope: 1';
    expect(at(text)).toMatchObject({ line: 4, column: 3, reason: expect.stringContaining('nope') });
  });

  it('unknown field in the second of two concatenated lists', () => {
    const text = 'input [ { name: "x" } ]\n  input [ { name: "y", bogus: 1 } ]';
    expect(at(text)).toMatchObject({ line: 2, column: 24 });
  });

  it('missing value: `name: }` reports the `}`', () => {
    const text = 'name: "a"\ninput {\n  name: }\n}';
    expect(at(text)).toMatchObject({ line: 3, column: 9 });
  });

  it('missing `]` reports the token that follows the list', () => {
    const text = 'input [ { name: "x" }\n output { }';
    expect(at(text)).toMatchObject({ line: 2, column: 2 });
  });

  it('stray `}` reports that brace', () => {
    const text = 'name: "a"\n  input { name: "b" } }';
    expect(at(text)).toMatchObject({ line: 2, column: 23 });
  });

  it('unknown enum value on an indented line', () => {
    const text = 'name: "a"\n\n\n   instance_group [ { kind: KIND_XPU } ]';
    expect(at(text)).toMatchObject({ line: 4, column: 29, reason: expect.stringContaining('KIND_XPU') });
  });

  it('second oneof member on a later line', () => {
    const text = 'name: "a"\ndynamic_batching { }\n\n  sequence_batching { }';
    expect(at(text)).toMatchObject({ line: 4, column: 3 });
  });

  it('a quoted string (with a space) given for an integer field reports the start of the string', () => {
    // Line 2: `max_batch_size: "hello world"`; the string token starts at column 17.
    const text = 'name: "a"\nmax_batch_size: "hello world"';
    expect(at(text)).toMatchObject({ line: 2, column: 17 });
  });

  it('a missing `:` before a scalar value reports the value token', () => {
    // Line 2: `max_batch_size 4`; the parser expected ":" and found the token `4` at column 16.
    const text = 'name: "a"\nmax_batch_size 4';
    expect(at(text)).toMatchObject({ line: 2, column: 16 });
  });

  it('an unclosed message reports the end of input', () => {
    // The text ends with a newline after line 3, so end of input is line 4, column 1.
    const text = 'name: "a"\ninput {\n  name: "x"\n';
    expect(at(text)).toMatchObject({ line: 4, column: 1 });
  });
});
