import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { DENO, DENO_CLI, DENO_RUN, type DenoServer, denoEnv, FREE_PORTS, hasDeno, runDenoCli, skipDeno, startDeno, startDenoCommand } from '../helpers/deno.ts';
import { tmpTree } from '../helpers/tmp.ts';

const IO16 = `input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const provider = (p: string) => `parameters { key: "execution_provider" value: { string_value: "${p}" } }\n`;

const SCALE_JS = `
let factor = 1;
export function initialize(args) { factor = Number(args.model_config.parameters.factor.string_value); }
export function execute(requests) {
  if (requests.some((r) => r.inputs.INPUT0.data[0] === 99)) {
    setTimeout(() => { throw new Error('worker crash'); }, 0);
    return new Promise(() => {});
  }
  return requests.map((r) => {
    const x = r.inputs.INPUT0;
    if (x.data[0] < 0) throw new Error('negative input');
    return { outputs: { OUTPUT0: { shape: x.shape, data: x.data.map((v) => v * factor) } } };
  });
}
`;

/** A repository with add_sub (no provider asked), add_sub_gpu (asks for webgpu) and a JavaScript model. */
function repository(): string {
  return tmpTree({
    'add_sub/config.pbtxt': `max_batch_size: 8\n${IO16}`,
    'add_sub/1/model.onnx': addSubModel(),
    'add_sub_gpu/config.pbtxt': `max_batch_size: 8\n${IO16}${provider('webgpu')}`,
    'add_sub_gpu/1/model.onnx': addSubModel(),
    'scale/config.pbtxt': `backend: "js"\nmax_batch_size: 8\ninput { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\noutput { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }\nparameters { key: "factor" value: { string_value: "2.5" } }\n`,
    'scale/1/model.js': SCALE_JS,
  });
}

// Where Mesa's llvmpipe Vulkan driver is installed (this machine, CI), Deno must find a WebGPU
// adapter; elsewhere a webgpu request must fall back to WASM and say why.
const expectWebGpu = process.env.NEREID_EXPECT_WEBGPU === '1' || existsSync('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json');

const A = Array.from({ length: 16 }, (_, i) => i * 0.5);
const B = Array.from({ length: 16 }, (_, i) => 3 - i);

async function inferAddSub(url: string, model: string): Promise<void> {
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: A },
        { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: B },
      ],
    }),
  });
  expect(res.status, model).toBe(200);
  const out = await res.json();
  out.outputs[0].data.forEach((v: number, i: number) => expect(v).toBeCloseTo(A[i]! + B[i]!, 5));
  out.outputs[1].data.forEach((v: number, i: number) => expect(v).toBeCloseTo(A[i]! - B[i]!, 5));
}

async function parameters(url: string, model: string): Promise<Record<string, string>> {
  return (await (await fetch(`${url}/v2/models/${model}`)).json()).parameters;
}

function expectProvider(params: Record<string, string>, want: 'webgpu' | 'wasm' | 'cpu'): void {
  if (want === 'webgpu' && !expectWebGpu) {
    expect(params.execution_provider).toBe('wasm');
    expect(params.fallback_reason).toMatch(/WebGPU requested but/);
    return;
  }
  expect(params.execution_provider).toBe(want);
}

const scale = (url: string, data: number[]) =>
  fetch(`${url}/v2/models/scale/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', data }] }) });

/** Runs the same driver checks on fsDeno and fsNode inside Deno and prints the outcomes as JSON. */
const DRIVER_CHECKS = `
import { fsDeno } from './src/platform/drivers/fs-deno.ts';
import { fsNode } from './src/platform/drivers/fs-node.ts';
const [root, outside] = Deno.args;
const code = (p) => p.then(() => 'ok', (e) => e.code ?? String(e));
const failure = (p) => p.then(() => 'ok', (e) => ({ code: e.code, message: e.message }));
const entries = (l) => l.map((e) => e.name + ':' + e.kind).sort();
const broken = (l) => Object.fromEntries(l.filter((e) => e.broken).map((e) => [e.name, e.broken]));
const text = (p) => p.then((b) => new TextDecoder().decode(b), (e) => e.code ?? String(e));
const listOutside = async () => { const n = []; for await (const e of Deno.readDir(outside)) n.push(e.name); return n.sort(); };
const out = {};
for (const [name, make] of [['fsDeno', fsDeno], ['fsNode', fsNode]]) {
  const d = make({ root });
  const s = await d.stat('m/config.pbtxt');
  await d.write('w/a/b.txt', new TextEncoder().encode('hello'));
  const written = new TextDecoder().decode(await d.read('w/a/b.txt'));
  await d.remove('w');
  const loop = await failure(d.read('m/loop'));
  const noFollow = make({ root, followLinks: false });
  out[name] = {
    list: entries(await d.list('m')),
    broken: { ...broken(await d.list('m')), loop: undefined },
    loopBroken: (broken(await d.list('m')).loop ?? '').startsWith("cannot read '" + root + "/m/loop': "),
    listIn: entries(await d.list('m/in')),
    read: new TextDecoder().decode(await d.read('m/config.pbtxt')),
    readMissing: await code(d.read('m/nope')),
    readOutside: await text(d.read('m/out/secret.txt')),
    readBlob: await text(d.read('m/blob')),
    readDangling: await failure(d.read('m/dangling')),
    readBehindDangling: await failure(d.read('m/dangling/x')),
    readLoop: { code: loop.code, names: String(loop.message).startsWith("cannot read '" + root + "/m/loop': ") },
    readDir: await code(d.read('m/1')),
    readParent: await code(d.read('../x')),
    listMissing: await code(d.list('nope')),
    stat: { kind: s.kind, size: s.size, mtime: typeof s.mtimeMs === 'number' },
    statDir: (await d.stat('m/1')).kind,
    statMissing: await d.stat('m/nope'),
    statOutside: (await d.stat('m/out'))?.kind ?? null,
    statDangling: await d.stat('m/dangling'),
    localPath: d.localPath('m/config.pbtxt') ?? null,
    localPathOutside: d.localPath('m/out/secret.txt') ?? null,
    written,
    removed: await d.stat('w'),
    removeMissing: await code(d.remove('w/never')),
    noFollow: {
      broken: Object.keys(broken(await noFollow.list('m'))).sort(),
      read: await failure(noFollow.read('m/out/secret.txt')),
      write: await failure(noFollow.write('m/out/evil.txt', new TextEncoder().encode('evil'))),
      writeLink: await code(noFollow.write('m/blob', new TextEncoder().encode('evil'))),
      localPath: noFollow.localPath('m/out/secret.txt') ?? null,
      outside: await listOutside(),
      secret: new TextDecoder().decode(await Deno.readFile(outside + '/secret.txt')),
    },
  };
}
console.log(JSON.stringify(out));
`;

describe.skipIf(skipDeno)('Deno server (src/platform/deno)', () => {
  it('the deno devDependency is installed', () => {
    expect(hasDeno, 'node_modules/.bin/deno is missing; run npm install').toBe(true);
  });

  describe('default provider (auto): onnxruntime-node, per-model webgpu, JavaScript models', () => {
    let srv: DenoServer;
    beforeAll(async () => {
      srv = await startDeno(['--model-repository', repository()]);
    });
    afterAll(async () => {
      await srv?.stop('SIGKILL');
    });

    it('runs ONNX models on onnxruntime-node (cpu) and a model asking for webgpu on onnxruntime-web', async () => {
      expectProvider(await parameters(srv.url, 'add_sub'), 'cpu');
      expectProvider(await parameters(srv.url, 'add_sub_gpu'), 'webgpu');
      await inferAddSub(srv.url, 'add_sub');
      await inferAddSub(srv.url, 'add_sub_gpu');
      expect(srv.output()).toMatch(/successfully loaded 'add_sub_gpu' version 1 on (webgpu|wasm)/);
    });

    it('runs a JavaScript model in a Deno worker, and survives its errors and crashes', async () => {
      expect((await parameters(srv.url, 'scale')).execution_provider).toBe('js-worker');
      const ok = await (await scale(srv.url, [1, 2, 3, 4])).json();
      expect(ok.outputs[0].data).toEqual([2.5, 5, 7.5, 10]);
      const bad = await scale(srv.url, [-1, 0, 0, 0]);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatch(/negative input/);
      const crash = await scale(srv.url, [99, 0, 0, 0]);
      const crashBody = await crash.clone().text();
      expect(crash.status, crashBody).toBe(500);
      expect((await crash.json()).error).toMatch(/worker stopped/);
      expect((await (await scale(srv.url, [4, 0, 0, 0])).json()).outputs[0].data).toEqual([10, 0, 0, 0]);
    });

    it('stops gracefully on SIGTERM with exit code 0', async () => {
      expect(await srv.stop('SIGTERM')).toBe(0);
      expect(srv.output()).toMatch(/received SIGTERM, shutting down[\s\S]*server stopped/);
    });
  });

  for (const ep of ['wasm', 'webgpu'] as const) {
    it(`--execution-provider ${ep} runs ONNX models on onnxruntime-web (${ep})`, async () => {
      const srv = await startDeno(['--model-repository', repository(), '--execution-provider', ep]);
      try {
        expectProvider(await parameters(srv.url, 'add_sub'), ep);
        await inferAddSub(srv.url, 'add_sub');
      } finally {
        expect(await srv.stop()).toBe(0);
      }
    });
  }

  it('without onnxruntime-node, ONNX models run on onnxruntime-web and metadata says why', async () => {
    const dir = tmpTree({ 'im.json': JSON.stringify({ imports: { 'onnxruntime-node': './missing/onnxruntime-node.js' } }) });
    const repo = tmpTree({ 'add_sub/config.pbtxt': `max_batch_size: 8\n${IO16}`, 'add_sub/1/model.onnx': addSubModel() });
    const srv = await startDenoCommand([...DENO_RUN, `--import-map=${join(dir, 'im.json')}`, DENO_CLI, ...FREE_PORTS, '--model-repository', repo]);
    try {
      const params = await parameters(srv.url, 'add_sub');
      expect(params.execution_provider).toBe('wasm');
      expect(params.fallback_reason).toMatch(/^onnxruntime-node cannot be loaded/);
      await inferAddSub(srv.url, 'add_sub');
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });

  it('fsDeno behaves like fsNode: listing, NOT_FOUND, stat null, operator links followed, dangling links named, followLinks false, write/remove', () => {
    const outside = tmpTree({ 'secret.txt': 'no' });
    const root = tmpTree({ 'm/config.pbtxt': 'x', 'm/1/model.onnx': 'onnx' });
    symlinkSync(outside, join(root, 'm/out'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'm/blob'));
    symlinkSync(join(root, 'm/1'), join(root, 'm/in'));
    symlinkSync(join(root, 'm/gone'), join(root, 'm/dangling'));
    symlinkSync('loop', join(root, 'm/loop'));
    const r = spawnSync(DENO, ['eval', ...DENO_RUN.slice(2), DRIVER_CHECKS, root, outside], { encoding: 'utf8', env: denoEnv(), timeout: 30_000 });
    expect(r.stderr).toBe('');
    const results = JSON.parse(r.stdout) as Record<string, unknown>;
    const dangling = `it is a symbolic link to '${join(root, 'm/gone')}', which does not exist`;
    const refused = (verb: string, p: string) => `cannot ${verb} '${join(root, p)}': it leads through a symbolic link, and links are not followed in '${root}'`;
    const expected = {
      list: ['1:dir', 'blob:file', 'config.pbtxt:file', 'dangling:file', 'in:dir', 'loop:file', 'out:dir'],
      broken: { dangling: `cannot read '${join(root, 'm/dangling')}': ${dangling}` },
      loopBroken: true,
      listIn: ['model.onnx:file'],
      read: 'x',
      readMissing: 'NOT_FOUND',
      readOutside: 'no',
      readBlob: 'no',
      readDangling: { code: 'INTERNAL', message: `cannot read '${join(root, 'm/dangling')}': ${dangling}` },
      readBehindDangling: {
        code: 'INTERNAL',
        message: `cannot read '${join(root, 'm/dangling/x')}': '${join(root, 'm/dangling')}' is a symbolic link to '${join(root, 'm/gone')}', which does not exist`,
      },
      readLoop: { code: 'INTERNAL', names: true },
      readDir: 'NOT_FOUND',
      readParent: 'INVALID_ARG',
      listMissing: 'NOT_FOUND',
      stat: { kind: 'file', size: 1, mtime: true },
      statDir: 'dir',
      statMissing: null,
      statOutside: 'dir',
      statDangling: null,
      localPath: join(root, 'm/config.pbtxt'),
      localPathOutside: join(root, 'm/out/secret.txt'),
      written: 'hello',
      removed: null,
      removeMissing: 'ok',
      noFollow: {
        broken: ['blob', 'dangling', 'in', 'loop', 'out'],
        read: { code: 'INTERNAL', message: refused('read', 'm/out/secret.txt') },
        write: {
          code: 'INTERNAL',
          message: `cannot write '${join(root, 'm/out/evil.txt')}': '${join(root, 'm/out')}' is a symbolic link, and links are not followed in '${root}'`,
        },
        writeLink: 'INTERNAL',
        localPath: null,
        outside: ['secret.txt'],
        secret: 'no',
      },
    };
    expect(results).toEqual({ fsDeno: expected, fsNode: expected });
  });

  it('--help lists the serve flags; an unknown flag or a bad value exits 2 with one line', () => {
    const help = runDenoCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--model-repository');
    expect(help.stdout).toMatch(/--execution-provider auto\|cpu\|cuda\|webgpu\|wasm/);
    const unknown = runDenoCli(['--model-repository', '.', '--bogus-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual(["nereid: unknown flag '--bogus-flag' (see --help)"]);
    const bad = runDenoCli(['--model-repository', '.', '--execution-provider', 'tpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("nereid: invalid value 'tpu' for --execution-provider: expected one of auto, cpu, cuda, webgpu, wasm");
    expect(runDenoCli(['--model-repository', '/does/not/exist']).code).toBe(2);
  });

  it('--http-max-header-size: an oversized request head gets 431, the server keeps serving', async () => {
    const srv = await startDeno(['--model-repository', repository(), '--http-max-header-size', '4096']);
    try {
      const big = await fetch(`${srv.url}/v2/health/live`, { headers: { 'x-filler': 'x'.repeat(8000) } });
      expect(big.status).toBe(431);
      expect((await big.json()).error).toContain('request header fields too large');
      const near = await fetch(`${srv.url}/v2/health/live`, { headers: { 'x-filler': 'x'.repeat(3000) } });
      expect(near.status).toBe(200);
    } finally {
      await srv.stop();
    }
  });

  it('exits 1 when a startup model fails (exit-on-error)', () => {
    const r = runDenoCli(['--model-repository', tmpTree({ 'bad/config.pbtxt': 'oops {' }), ...FREE_PORTS]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/failed to load all models/);
  });

  it('`deno task serve -- FLAGS` (the README command) serves the repository', async () => {
    const srv = await startDenoCommand([
      'task',
      'serve',
      '--',
      '--model-repository',
      repository(),
      ...FREE_PORTS,
      '--load-model',
      'add_sub',
      '--model-control-mode',
      'explicit',
    ]);
    try {
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
      await inferAddSub(srv.url, 'add_sub');
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });
});
