import { describe, expect, it } from 'vitest';
import { checkModelIO, type ModelIO } from '../../src/core/config/check-model-io.ts';
import { completeFromModelIO, type TensorSpec } from '../../src/core/config/complete.ts';
import type { ModelConfig } from '../../src/core/config/gen/model_config_pb.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { caught } from './helpers.ts';

const cfg = (text: string): ModelConfig => parseConfigText(`name: "m"\n${text}`, 'config.pbtxt');
const t = (name: string, datatype: TensorSpec['datatype'], dims: number[]): TensorSpec => ({ name, datatype, dims });
const problem = (text: string, io: ModelIO) => caught(() => checkModelIO(cfg(text), io));
const ok = (text: string, io: ModelIO) => expect(() => checkModelIO(cfg(text), io)).not.toThrow();

const IN = (type: string, dims: string, extra = '') => `input [ { name: "X" data_type: ${type} dims: ${dims} ${extra} } ]\n`;
const OUT = (type: string, dims: string, extra = '') => `output [ { name: "Y" data_type: ${type} dims: ${dims} ${extra} } ]\n`;
const xy = (datatype: TensorSpec['datatype'], dims: number[], outDims = dims): ModelIO => ({
  inputs: [t('X', datatype, dims)],
  outputs: [t('Y', datatype, outDims)],
});

describe('checkModelIO: names', () => {
  it('a configured input or output the model lacks names the ones it has', () => {
    const io: ModelIO = { inputs: [t('b', 'FP32', [2]), t('a', 'FP32', [2])], outputs: [t('y', 'FP32', [2])] };
    expect(
      problem(
        'input [ { name: "a" data_type: TYPE_FP32 dims: [2] }, { name: "c" data_type: TYPE_FP32 dims: [2] } ]\n' +
          'output [ { name: "y" data_type: TYPE_FP32 dims: [2] } ]',
        io,
      ),
    ).toEqual({ code: 'INVALID_ARG', message: "unable to load model 'm', unexpected inference input 'c', allowed inputs are: a, b" });
    expect(
      problem(
        'input [ { name: "a" data_type: TYPE_FP32 dims: [2] }, { name: "b" data_type: TYPE_FP32 dims: [2] } ]\n' +
          'output [ { name: "z" data_type: TYPE_FP32 dims: [2] } ]',
        io,
      ).message,
    ).toBe("unable to load model 'm', unexpected inference output 'z', allowed outputs are: y");
  });

  it('model inputs missing from the config are all named', () => {
    const io: ModelIO = { inputs: [t('X', 'FP32', [2]), t('P', 'INT64', [-1, 3]), t('Q', 'BYTES', [])], outputs: [t('Y', 'FP32', [2])] };
    expect(problem(IN('TYPE_FP32', '[2]') + OUT('TYPE_FP32', '[2]'), io).message).toBe(
      "unable to load model 'm', configuration expects 1 inputs, model provides 3: model inputs 'P' (TYPE_INT64 [-1,3]), 'Q' (TYPE_STRING []) are not in the configuration",
    );
  });

  it('an optional input the model does not list (an initializer it may hold) is accepted; a required one is not', () => {
    ok(`${IN('TYPE_FP32', '[2]')}input [ { name: "B" data_type: TYPE_FP32 dims: [2] optional: true } ]\n${OUT('TYPE_FP32', '[2]')}`, xy('FP32', [2]));
    expect(
      problem(`${IN('TYPE_FP32', '[2]')}input [ { name: "B" data_type: TYPE_FP32 dims: [2] } ]\n${OUT('TYPE_FP32', '[2]')}`, xy('FP32', [2])).message,
    ).toMatch(/unexpected inference input 'B', allowed inputs are: X$/);
  });
});

describe('checkModelIO: datatypes', () => {
  it.each([
    ['TYPE_STRING', 'BYTES'],
    ['TYPE_BOOL', 'BOOL'],
    ['TYPE_FP16', 'FP16'],
    ['TYPE_UINT8', 'UINT8'],
    ['TYPE_INT64', 'INT64'],
  ] as const)('%s matches a model %s tensor', (type, dt) => ok(IN(type, '[2]') + OUT(type, '[2]'), xy(dt, [2])));

  it.each([
    ['TYPE_STRING', 'UINT8', 'TYPE_UINT8'],
    ['TYPE_BOOL', 'INT8', 'TYPE_INT8'],
    ['TYPE_FP32', 'BYTES', 'TYPE_STRING'],
    ['TYPE_INT32', 'INT64', 'TYPE_INT64'],
  ] as const)('%s against a model %s tensor fails', (type, dt, modelType) => {
    expect(problem(IN(type, '[2]') + OUT(type, '[2]'), xy(dt, [2])).message).toBe(
      `unable to load model 'm', configuration expects datatype ${type} for input 'X', model provides ${modelType}`,
    );
  });

  it('outputs are checked too', () => {
    const io: ModelIO = { inputs: [t('X', 'FP32', [2])], outputs: [t('Y', 'FP64', [2])] };
    expect(problem(IN('TYPE_FP32', '[2]') + OUT('TYPE_FP32', '[2]'), io).message).toBe(
      "unable to load model 'm', configuration expects datatype TYPE_FP32 for output 'Y', model provides TYPE_FP64",
    );
  });
});

describe('checkModelIO: dims', () => {
  it('-1 on either side matches any size; ranks must agree', () => {
    ok(IN('TYPE_FP32', '[-1, 3]') + OUT('TYPE_FP32', '[2, -1]'), xy('FP32', [2, 3]));
    ok(IN('TYPE_FP32', '[2, 3]') + OUT('TYPE_FP32', '[2, 3]'), xy('FP32', [-1, -1]));
    expect(problem(IN('TYPE_FP32', '[2, 4]') + OUT('TYPE_FP32', '[2, 3]'), xy('FP32', [2, 3])).message).toBe(
      "model 'm', tensor 'X': the model expects 2 dimensions (shape [2,3]) but the model configuration specifies 2 dimensions (shape [2,4])",
    );
    expect(problem(IN('TYPE_FP32', '[6]') + OUT('TYPE_FP32', '[2, 3]'), xy('FP32', [2, 3])).message).toBe(
      "model 'm', tensor 'X': the model expects 2 dimensions (shape [2,3]) but the model configuration specifies 1 dimensions (shape [6])",
    );
    expect(problem(IN('TYPE_FP32', '[2, 3]') + OUT('TYPE_FP32', '[3, 2]'), xy('FP32', [2, 3])).message).toMatch(/^model 'm', tensor 'Y': the model expects/);
  });

  it('with max_batch_size > 0 the model needs a leading batch dimension of -1', () => {
    ok(`max_batch_size: 8\n${IN('TYPE_FP32', '[3]')}${OUT('TYPE_FP32', '[3]')}`, xy('FP32', [-1, 3]));
    expect(problem(`max_batch_size: 8\n${IN('TYPE_FP32', '[3]')}${OUT('TYPE_FP32', '[3]')}`, xy('FP32', [8, 3])).message).toBe(
      "model 'm', tensor 'X': for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is [8,3]",
    );
    expect(problem(`max_batch_size: 8\n${IN('TYPE_FP32', '[-1, 3]')}${OUT('TYPE_FP32', '[-1, 3]')}`, xy('FP32', [-1, 3])).message).toBe(
      "model 'm', tensor 'X': the model expects 2 dimensions (shape [-1,3]) but the model configuration specifies 3 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape [-1,-1,3])",
    );
  });

  it('a fixed model batch dimension of 1 fits max_batch_size 1 only', () => {
    ok(`max_batch_size: 1\n${IN('TYPE_FP32', '[3]')}${OUT('TYPE_FP32', '[3]')}`, xy('FP32', [1, 3]));
    expect(problem(`max_batch_size: 2\n${IN('TYPE_FP32', '[3]')}${OUT('TYPE_FP32', '[3]')}`, xy('FP32', [1, 3])).message).toMatch(
      /first dimension must be -1; but shape expected by the model is \[1,3\]$/,
    );
  });

  it('reshape: the model is compared with the reshape shape, not dims', () => {
    ok(IN('TYPE_FP32', '[6]', 'reshape: { shape: [2, 3] }') + OUT('TYPE_FP32', '[6]', 'reshape: { shape: [2, 3] }'), xy('FP32', [2, 3]));
    ok(`max_batch_size: 4\n${IN('TYPE_FP32', '[1]', 'reshape: { shape: [] }')}${OUT('TYPE_FP32', '[1]', 'reshape: { shape: [] }')}`, xy('FP32', [-1]));
    expect(problem(IN('TYPE_FP32', '[6]', 'reshape: { shape: [3, 2] }') + OUT('TYPE_FP32', '[2, 3]'), xy('FP32', [2, 3])).message).toBe(
      "model 'm', tensor 'X': the model expects 2 dimensions (shape [2,3]) but the model configuration specifies 2 dimensions (shape [3,2])",
    );
  });

  it('a scalar model tensor takes only dims of 1', () => {
    ok(IN('TYPE_FP32', '[1]') + OUT('TYPE_FP32', '[1]'), xy('FP32', []));
    expect(problem(IN('TYPE_FP32', '[2]') + OUT('TYPE_FP32', '[1]'), xy('FP32', [])).message).toBe(
      "unable to load model 'm', scalar tensor 'X', should only provide 1 in the model configuration when the model doesn't support batching. Model configuration provided: [2].",
    );
  });
});

describe('checkModelIO: sequence batching', () => {
  const SEQ = `max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [1] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [1] } ]
sequence_batching {
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] } ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_INT32 dims: [1] } ]
}
`;
  const accumulator = (overrides: Partial<Record<string, TensorSpec>> = {}): ModelIO => ({
    inputs: ['INPUT', 'STATE_IN', 'START'].map((n) => overrides[n] ?? t(n, 'INT32', [-1, 1])),
    outputs: ['OUTPUT', 'STATE_OUT'].map((n) => overrides[n] ?? t(n, 'INT32', [-1, 1])),
  });

  it('control and state inputs are fed by the server, so the config need not list them', () => ok(SEQ, accumulator()));

  it('a control or state tensor the model lacks, or of another datatype, fails', () => {
    const without = (name: string): ModelIO => {
      const io = accumulator();
      return { inputs: io.inputs.filter((x) => x.name !== name), outputs: io.outputs.filter((x) => x.name !== name) };
    };
    expect(problem(SEQ, without('START')).message).toBe(
      "unable to load model 'm', configuration specified sequence control 'START', but model does not provide that input",
    );
    expect(problem(SEQ, without('STATE_OUT')).message).toBe(
      "unable to load model 'm', configuration specified sequence state output 'STATE_OUT', but model does not provide that output",
    );
    expect(problem(SEQ, accumulator({ START: t('START', 'FP32', [-1, 1]) })).message).toBe(
      "unable to load model 'm', sequence control 'START', the model expects data-type TYPE_FP32 but the model configuration specifies data-type TYPE_INT32",
    );
    expect(problem(SEQ, accumulator({ STATE_IN: t('STATE_IN', 'INT64', [-1, 1]) })).message).toBe(
      "unable to load model 'm', sequence state input 'STATE_IN', the model expects data-type TYPE_INT64 but the model configuration specifies data-type TYPE_INT32",
    );
    expect(problem(SEQ, accumulator({ START: t('START', 'INT32', [-1, 2]) })).message).toMatch(
      /^model 'm', tensor 'START': the model expects 2 dimensions \(shape \[-1,2\]\)/,
    );
  });
});

describe('checkModelIO: auto-completed configs always pass', () => {
  const models: [string, ModelIO][] = [
    ['batching', { inputs: [t('a', 'FP32', [-1, 3]), t('b', 'BYTES', [-1, -1])], outputs: [t('y', 'BOOL', [-1])] }],
    ['fixed', { inputs: [t('a', 'INT64', [2, 3])], outputs: [t('y', 'FP16', [6])] }],
    ['scalars', { inputs: [t('a', 'FP32', [])], outputs: [t('y', 'FP32', [])] }],
    ['dynamic, not batching', { inputs: [t('a', 'UINT8', [-1, 4])], outputs: [t('y', 'UINT8', [3])] }],
  ];
  it.each(models)('%s', (_, io) => {
    let checked = 0;
    for (const text of ['', 'max_batch_size: 0', 'max_batch_size: 2']) {
      const c = cfg(text);
      try {
        completeFromModelIO(c, io);
      } catch {
        continue; // max_batch_size set on a model that cannot batch: auto-complete itself refuses
      }
      expect(() => checkModelIO(c, io), `${text}: ${c.input.map((i) => `${i.name} [${i.dims.join(',')}]`)}`).not.toThrow();
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
