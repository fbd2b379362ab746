import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, classifierModel, identityModel } from '../../src/tools/onnx/models.ts';
import { cliOutput } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * `nereid validate DIR...`: the real CLI over real repositories. Every model is loaded the way the
 * server loads it; problems come out one line each (model, version, file, reason), with a summary,
 * or as JSON; exit code 0 only when everything passes, 1 on a failure, 2 on a usage error; nothing
 * is written into the repositories.
 */
const nereid = (args: string[]) => cliOutput(args, 60_000);

/** Every file and directory under `root` with its size, mtime and content digest. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`${p}/ ${st.mtimeMs}`);
        walk(p);
      } else out.push(`${p} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');
const IO = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const addSub = addSubModel();
const checksum = (params: Record<string, string>) =>
  `model_repository_agents { agents [ { name: "checksum" ${Object.entries(params)
    .map(([k, v]) => `parameters { key: "${k}" value: "${v}" }`)
    .join(' ')} } ] }\n`;
const SCALE_JS = `export function execute(requests) {
  return requests.map((r) => ({ outputs: { OUTPUT0: { datatype: 'FP32', shape: r.inputs.INPUT0.shape, data: r.inputs.INPUT0.data.map((x) => x / 2) } } }));
}`;

let good: string;
let bad: string;
beforeAll(() => {
  good = tmpTree({
    'add_sub/config.pbtxt': IO + checksum({ 'MD5:1/model.onnx': md5(addSub) }),
    'add_sub/1/model.onnx': addSub,
    'classifier/config.pbtxt': `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 5 ] label_filename: "labels.txt" } ]
model_warmup [ { name: "w" batch_size: 3 inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 4 ] random_data: true } } } ]
`,
    'classifier/labels.txt': 'a\nb\nc\nd\ne\n',
    'classifier/1/model.onnx': classifierModel(),
    'auto/1/model.onnx': identityModel('int32', ['batch', 3]),
    'scale_js/config.pbtxt':
      'backend: "js"\nmax_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]\n',
    'scale_js/1/model.js': SCALE_JS,
    'pipeline/config.pbtxt': `platform: "ensemble"
max_batch_size: 8
input [ { name: "A" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "HALF" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "DIFF" data_type: TYPE_FP32 dims: [ 16 ] } ]
ensemble_scheduling { step [
  { model_name: "add_sub" model_version: -1 input_map { key: "INPUT0" value: "A" } input_map { key: "INPUT1" value: "B" }
    output_map { key: "OUTPUT0" value: "SUM" } output_map { key: "OUTPUT1" value: "DIFF" } },
  { model_name: "scale_js" model_version: -1 input_map { key: "INPUT0" value: "SUM" } output_map { key: "OUTPUT0" value: "HALF" } }
] }
`,
    'pipeline/1/.keep': '',
  });
  bad = tmpTree({
    'stray.txt': 'not a model',
    'ok/config.pbtxt': IO,
    'ok/1/model.onnx': addSub,
    'ok/01/model.onnx': addSub,
    'ok/v2/model.onnx': addSub,
    'syntax/config.pbtxt': 'max_batch_size: 8\ninput [ { name: "X" data_type: TYPE_FP32 dims: [ 16 } ]\n',
    'syntax/1/model.onnx': addSub,
    'wrongtype/config.pbtxt': IO.replace('INPUT1" data_type: TYPE_FP32', 'INPUT1" data_type: TYPE_INT32'),
    'wrongtype/1/model.onnx': addSub,
    'nobackend/config.pbtxt': 'backend: "tensorrt"\nmax_batch_size: 0\n',
    'nobackend/1/model.plan': 'plan',
    'tampered/config.pbtxt': IO + checksum({ 'MD5:1/model.onnx': '0'.repeat(32) }),
    'tampered/1/model.onnx': addSub,
    'oldsum/config.pbtxt': IO + checksum({ 'MD5:1/model.onnx': '1'.repeat(32) }),
    'oldsum/1/model.onnx': addSub,
    'oldsum/2/model.onnx': addSub,
    'ens/config.pbtxt': `platform: "ensemble"
max_batch_size: 8
input [ { name: "A" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "B" data_type: TYPE_FP32 dims: [ 16 ] } ]
ensemble_scheduling { step [ { model_name: "nowhere" model_version: -1 input_map { key: "INPUT0" value: "A" } output_map { key: "OUTPUT0" value: "B" } } ] }
`,
    'ens/1/.keep': '',
    'shape/config.pbtxt':
      'max_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
    'shape/1/model.onnx': identityModel('float32', ['batch', 'n']),
  });
});

describe('nereid validate', () => {
  it('passes a good repository (checksums, labels, warm-up, auto-complete, JavaScript model, ensemble) with --infer: exit 0', async () => {
    const before = snapshot(good);
    const r = await nereid(['validate', good, '--infer']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['passed: 5 models, 5 versions (5 READY); 0 errors, 0 info']);
    expect(r.code).toBe(0);
    expect(snapshot(good)).toEqual(before);
  });

  it('reports each problem of a broken repository on one line naming model, version, file and reason: exit 1, nothing written', async () => {
    const before = snapshot(bad);
    const r = await nereid(['validate', bad, '--infer']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    const zeros = '0'.repeat(32);
    const ones = '1'.repeat(32);
    expect(lines).toEqual([
      `info  [layout] ${bad}/stray.txt: a file, not a model directory: ignored`,
      `info  [layout] ok ${bad}/ok/01: directory '01' is a version number with a leading zero: ignored, not loaded as a version`,
      `info  [layout] ok ${bad}/ok/v2: directory 'v2' is not a version number: ignored, not loaded as a version`,
      `error [ensemble] ens ${bad}/ens/config.pbtxt: step 0 of ensemble 'ens' uses model 'nowhere', which is in none of the given repositories`,
      `error [load] nobackend version 1 ${bad}/nobackend/1/model.plan: Invalid argument: unable to find backend 'tensorrt' for model 'nobackend' (backends available here: onnxruntime, js)`,
      `error [checksum] oldsum version 1 ${bad}/oldsum/1/model.onnx: Mismatched MD5 hash for file 1/model.onnx, expect: ${ones}, got: ${md5(addSub)}`,
      `error [infer] shape version 1 ${bad}/shape/1: the synthetic request (ones shaped from the config): output 'OUTPUT0' has shape [1,1], the config says [1,4]`,
      `error [config] syntax ${bad}/syntax/config.pbtxt: Invalid argument: failed to read text proto from ${bad}/syntax/config.pbtxt: line 2, column 53: expected "," or "]" in list, got "}"`,
      `error [checksum] tampered version 1 ${bad}/tampered/1/model.onnx: Mismatched MD5 hash for file 1/model.onnx, expect: ${zeros}, got: ${md5(addSub)}`,
      `error [load] wrongtype version 1 ${bad}/wrongtype/1/model.onnx: Invalid argument: unable to load model 'wrongtype', configuration expects datatype TYPE_INT32 for input 'INPUT1', model provides TYPE_FP32`,
      'FAILED: 8 models, 7 versions (3 READY); 7 errors, 3 info',
    ]);
    expect(snapshot(bad)).toEqual(before);
  });

  it('--json: the documented report shape, consistent with its problems', async () => {
    const r = await nereid(['validate', bad, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['ok', 'summary', 'models', 'problems']);
    expect(report.ok).toBe(false);
    const errors = report.problems.filter((p: { severity: string }) => p.severity === 'error').length;
    expect(report.summary).toEqual({ models: 8, versions: 7, ready: 3, errors, infos: report.problems.length - errors });
    expect(report.models.find((m: { name: string }) => m.name === 'tampered')).toEqual({
      name: 'tampered',
      repository: bad,
      versions: [
        {
          version: '1',
          state: 'UNAVAILABLE',
          reason: `Invalid argument: Mismatched MD5 hash for file 1/model.onnx, expect: ${'0'.repeat(32)}, got: ${md5(addSub)}`,
        },
      ],
    });
    expect(report.problems.find((p: { model?: string }) => p.model === 'wrongtype')).toEqual({
      severity: 'error',
      check: 'load',
      model: 'wrongtype',
      version: '1',
      file: `${bad}/wrongtype/1/model.onnx`,
      message: `Invalid argument: unable to load model 'wrongtype', configuration expects datatype TYPE_INT32 for input 'INPUT1', model provides TYPE_FP32`,
    });
    // Without --infer the shape model passes: its config is accepted by the load.
    expect(report.problems.some((p: { check: string }) => p.check === 'infer')).toBe(false);
  });

  it('takes serve flags: --disable-auto-complete-config fails a model without config.pbtxt', async () => {
    const r = await nereid(['validate', good, '--disable-auto-complete-config']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      `error [config] auto ${good}/auto/config.pbtxt: Invalid argument: model configuration file '${good}/auto/config.pbtxt' is missing and auto-complete is disabled (--disable-auto-complete-config)`,
      'FAILED: 5 models, 4 versions (4 READY); 1 error, 0 info',
    ]);
  });

  it('a model in two repositories fails without --model-namespacing and passes with it', async () => {
    const other = tmpTree({ 'add_sub/config.pbtxt': IO, 'add_sub/1/model.onnx': addSub });
    const plain = await nereid(['validate', good, other]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(
      `error [layout] add_sub ${good}/add_sub: model appears in several repositories (${good}, ${other}); --model-namespacing serves each under its own namespace`,
    );
    const spaced = await nereid(['validate', `g=${good}`, `o=${other}`, '--model-namespacing']);
    expect(spaced.stdout.trim()).toBe('passed: 6 models, 6 versions (6 READY); 0 errors, 0 info');
    expect(spaced.code).toBe(0);
  });

  it.each([
    [[], 'nereid validate: no repository given (usage: nereid validate DIR... [flags])'],
    [['/nonexistent/repo'], `nereid validate: '/nonexistent/repo' is not a directory`],
    [['--bogus'], `nereid validate: unknown flag '--bogus' (see --help)`],
    [['.', '--execution-provider', 'tpu'], "nereid validate: invalid value 'tpu' for --execution-provider: expected one of auto, cpu, cuda, webgpu, wasm"],
  ])('usage error %j: one line, exit 2', async (args, line) => {
    const r = await nereid(['validate', ...args]);
    expect(r.stderr.trim().split('\n')).toEqual([line]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });
});
