import { lstatSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepositoryDriver } from '../../src/core/index.ts';
import { createHttpApp, createServer, fsNode, type InferenceServer, overrideStore } from '../../src/platform/node/index.ts';
import { identityModel } from '../../src/tools/onnx/models.ts';
import { post } from '../helpers/server.ts';
import { tmpTree, writeTree } from '../helpers/tmp.ts';

/**
 * Path safety is about what clients send: model names, versions and `file:` override paths that
 * try `..`, absolute paths, encoded separators or backslashes are refused, so the server never
 * builds a path outside the repository from a request, and it writes only into its private
 * override directory, which never holds (nor writes through) a link. Links the operator placed in
 * the repository (a ConfigMap `..data` tree, a repository root that is a link, a modelcar model
 * directory, a model cache's blob links) are followed wherever they lead, like Triton does; a
 * file nobody linked into the repository is never read.
 */
const SECRET = 'TOP-SECRET-CONTENT-4711';
const CONFIG = 'max_batch_size: 0\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\n';
const STAMP = '..2024_05_01_10_00_00.123';

/** Wraps a driver and records the real path behind every path it successfully listed, read, stat'ed or wrote. */
function recording(driver: RepositoryDriver, root: string, seen: string[]): RepositoryDriver {
  const note = (p: string) => {
    const full = resolve(root, p);
    try {
      seen.push(realpathSync(full));
    } catch {
      seen.push(full);
    }
  };
  const after = <T>(p: string, v: T): T => {
    if (v !== null && v !== undefined) note(p);
    return v;
  };
  return {
    ...driver,
    list: async (p) => after(p, await driver.list(p)),
    stat: async (p) => after(p, await driver.stat(p)),
    read: async (p) => after(p, await driver.read(p)),
    localPath: (p) => after(p, driver.localPath?.(p)),
    write: async (p, d) => {
      await driver.write!(p, d);
      note(p);
    },
    remove: async (p) => {
      await driver.remove!(p);
    },
  };
}

/** Every path under `dir`, links listed but not entered. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      out.push(p);
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

let sandbox: string;
let repo: string;
let overrides: string;
const seen: string[] = [];
const written: string[] = [];
let server: InferenceServer;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  sandbox = realpathSync(tmpTree());
  const real = join(sandbox, 'repo-real');
  repo = join(sandbox, 'repo');
  overrides = join(sandbox, 'overrides');
  mkdirSync(overrides);
  mkdirSync(join(sandbox, 'trap'));
  writeTree(sandbox, {
    'secret.txt': SECRET,
    'labels.txt': 'LABEL-A\nLABEL-B\n',
    'outside_model/config.pbtxt': CONFIG.replace('max_batch_size', 'name: "linked_model"\nmax_batch_size'),
    'outside_model/1/model.onnx': identityModel('int32', [2]),
    'blobs/sha256-identity': identityModel('int32', [2]),
    'repo-real/good/config.pbtxt': CONFIG,
    'repo-real/good/1/model.onnx': identityModel('int32', [2]),
    'repo-real/leaky/config.pbtxt': CONFIG.replace(
      'output { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] }',
      'output { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] label_filename: "../../secret.txt" }',
    ),
    'repo-real/leaky/1/model.onnx': identityModel('int32', [2]),
    [`repo-real/cm/${STAMP}/config.pbtxt`]: CONFIG,
    [`repo-real/cm/${STAMP}/1/model.onnx`]: identityModel('int32', [2]),
  });
  // The repository root is a link (modelcar: /mnt/models -> /proc/<pid>/root/models).
  symlinkSync(real, repo);
  // A ConfigMap volume: every visible entry links through ..data to a timestamped directory.
  symlinkSync(STAMP, join(real, 'cm', '..data'));
  symlinkSync(join('..data', 'config.pbtxt'), join(real, 'cm', 'config.pbtxt'));
  symlinkSync(join('..data', '1'), join(real, 'cm', '1'));
  // A model directory that links outside the repository, and a model file that links to a cache blob.
  symlinkSync(join(sandbox, 'outside_model'), join(real, 'linked_model'));
  mkdirSync(join(real, 'cached', '1'), { recursive: true });
  symlinkSync(join('..', '..', '..', 'blobs', 'sha256-identity'), join(real, 'cached', '1', 'model.onnx'));
  symlinkSync(join(sandbox, 'labels.txt'), join(real, 'good', 'labels.txt'));
  // A model whose only model file is a dangling link.
  mkdirSync(join(real, 'dangling', '1'), { recursive: true });
  symlinkSync(join(sandbox, 'blobs', 'missing'), join(real, 'dangling', '1', 'model.onnx'));
  let n = 0;
  server = await createServer({
    repositories: [{ driver: recording(fsNode({ root: repo }), repo, seen), namespace: 'repo', label: repo }],
    controlMode: 'explicit',
    cuda: { available: false, deviceCount: 0 },
    createOverrideStore: async () => {
      const store = await overrideStore(overrides);
      const dir = store.localPath!('')!;
      written.push(dir);
      // Someone with access to the private directory plants a link where the first upload will write.
      if (n++ === 0) symlinkSync(join(sandbox, 'trap'), join(dir, 'upload'));
      return recording(store, dir, seen);
    },
  });
  await server.start();
  app = createHttpApp(server);
});
afterAll(() => server.stop(1000));

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + sep);

describe('path safety', () => {
  const responses: string[] = [];
  const hit = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    const text = await res.text();
    responses.push(text);
    return { status: res.status, text };
  };
  const infer = (model: string) => hit(`/v2/models/${model}/infer`, post({ inputs: [{ name: 'INPUT0', shape: [2], datatype: 'INT32', data: [7, -3] }] }));

  it('follows links the operator placed: ConfigMap ..data, a linked root, a modelcar model directory, cache blobs', async () => {
    for (const model of ['cm', 'linked_model', 'cached', 'good']) {
      const load = await hit(`/v2/repository/models/${model}/load`, { method: 'POST' });
      expect(load.status, `${model}: ${load.text}`).toBe(200);
      const r = await infer(model);
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text).outputs[0].data).toEqual([7, -3]);
    }
    // The operator's labels.txt link is followed too.
    const labelled = await hit(
      '/v2/repository/models/good/load',
      post({
        parameters: {
          config: JSON.stringify({ backend: 'onnxruntime', output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2], label_filename: 'labels.txt' }] }),
        },
      }),
    );
    expect(labelled.status, labelled.text).toBe(200);
  });

  it('a model whose model file is a dangling link says so, naming the file and its target', async () => {
    const r = await hit('/v2/repository/models/dangling/load', { method: 'POST' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(r.text).error).toContain(
      `cannot read '${join(repo, 'dangling', '1', 'model.onnx')}': it is a symbolic link to '${join(sandbox, 'blobs', 'missing')}', which does not exist`,
    );
    expect(r.text).not.toMatch(/Could not determine backend/);
  });

  it('refuses hostile model names, versions and override paths, and never leaks files', async () => {
    const before = tree(sandbox).filter((p) => !inside(p, overrides));
    for (const name of [
      '..',
      '..%2F..%2Fsecret.txt',
      '%2E%2E',
      'a%2Fb',
      '%2Fetc%2Fpasswd',
      '..%5C..%5Csecret',
      'linked_model%2F..%2F..',
      'linked_model%2F..%2Fsecret.txt',
      'cm%2F..data%2F..%2F..',
      'a%00b',
    ]) {
      const r = await hit(`/v2/repository/models/${name}/load`, { method: 'POST' });
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
      expect((await hit(`/v2/models/${name}`)).status, name).toBeGreaterThanOrEqual(400);
    }
    expect((await hit('/v2/models/good/versions/..%2F1')).status).toBe(404);
    const config = JSON.stringify({
      backend: 'onnxruntime',
      input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [2] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2] }],
    });
    for (const path of ['../x', '../../../tmp/evil', '/etc/evil', '1/../../evil', '1\\..\\..\\evil', 'C:/evil', '1/./../../evil', '1/a\0b']) {
      const r = await hit('/v2/repository/models/upload/load', post({ parameters: { config, [`file:${path}`]: 'AAAA' } }));
      expect(r.status, path).toBe(400);
    }
    // A label file outside the model directory is refused, even through a followed model-directory link.
    expect((await hit('/v2/repository/models/leaky/load', { method: 'POST' })).text).toMatch(/is outside model directory/);
    const climb = await hit(
      '/v2/repository/models/linked_model/load',
      post({ parameters: { config: JSON.stringify({ output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2], label_filename: '../secret.txt' }] }) } }),
    );
    expect(climb.text).toMatch(/is outside model directory/);
    // A link planted in the private override directory is not written through.
    const model = Buffer.from(identityModel('int32', [2])).toString('base64');
    const trapped = await hit('/v2/repository/models/upload/load', post({ parameters: { config, 'file:1/model.onnx': model } }));
    expect(trapped.status).toBeGreaterThanOrEqual(400);
    expect(trapped.text).toMatch(/is a symbolic link, and links are not followed/);
    expect(readdirSync(join(sandbox, 'trap'))).toEqual([]);
    // A legitimate upload lands in the private override directory only.
    const up = await hit('/v2/repository/models/upload/load', post({ parameters: { config, 'file:1/model.onnx': model } }));
    expect(up.status, up.text).toBe(200);
    expect((await infer('upload')).status).toBe(200);

    for (const text of responses) expect(text).not.toContain(SECRET);
    const after = tree(sandbox).filter((p) => !inside(p, overrides));
    expect(after).toEqual(before);
    // Every file touched is in the repository, an override directory, or behind a link the operator placed.
    const linkedTargets = ['outside_model', 'blobs/sha256-identity', 'labels.txt'].map((p) => join(sandbox, p));
    const allowed = [realpathSync(repo), ...written, ...linkedTargets];
    expect(seen.filter((p) => !allowed.some((a) => inside(p, a)))).toEqual([]);
    expect(seen).not.toContain(join(sandbox, 'secret.txt'));
    for (const target of linkedTargets)
      expect(
        seen.some((p) => inside(p, target)),
        target,
      ).toBe(true);
    expect(written.every((w) => inside(w, overrides))).toBe(true);
  });
});
