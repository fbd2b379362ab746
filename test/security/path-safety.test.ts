import { mkdirSync, mkdtempSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepositoryDriver } from '../../src/core/index.ts';
import { createHttpApp, createServer, fsNode, type InferenceServer } from '../../src/platform/node/index.ts';
import { identityModel } from '../../src/tools/onnx/models.ts';
import { post } from '../helpers/server.ts';
import { tmpTree, writeTree } from '../helpers/tmp.ts';

/**
 * Path safety: model names, versions and `file:` override paths that try `..`, absolute paths,
 * encoded separators or symlinks out of the repository are refused, and every file the server
 * touches (read, listed, written) resolves inside the repository or its private override directory.
 */
const SECRET = 'TOP-SECRET-CONTENT-4711';
const CONFIG = 'max_batch_size: 0\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] }\n';

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

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      out.push(p);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory() && !statSync(p).isSymbolicLink?.()) walk(p);
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
  repo = join(sandbox, 'repo');
  overrides = join(sandbox, 'overrides');
  mkdirSync(overrides);
  writeTree(sandbox, {
    'secret.txt': SECRET,
    'outside_model/config.pbtxt': CONFIG,
    'outside_model/1/model.onnx': identityModel('int32', [2]),
    'repo/good/config.pbtxt': CONFIG,
    'repo/good/1/model.onnx': identityModel('int32', [2]),
    'repo/leaky/config.pbtxt': CONFIG.replace('output { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] }', 'output { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2 ] label_filename: "../../secret.txt" }'),
    'repo/leaky/1/model.onnx': identityModel('int32', [2]),
  });
  symlinkSync(join(sandbox, 'outside_model'), join(repo, 'linked_model'));
  symlinkSync(join(sandbox, 'secret.txt'), join(repo, 'good', 'labels.txt'));
  mkdirSync(join(repo, 'sneaky', '1'), { recursive: true });
  writeFileSync(join(repo, 'sneaky', 'config.pbtxt'), CONFIG);
  symlinkSync(join(sandbox, 'outside_model', '1', 'model.onnx'), join(repo, 'sneaky', '1', 'model.onnx'));
  let n = 0;
  server = await createServer({
    modelRepositories: [{ driver: recording(fsNode({ root: repo }), repo, seen), namespace: 'repo', label: repo }],
    controlMode: 'explicit',
    cuda: { available: false, deviceCount: 0 },
    createOverrideStore: async () => {
      const dir = join(overrides, `o${n++}`);
      mkdirSync(dir);
      written.push(dir);
      return recording(fsNode({ root: dir }), dir, seen);
    },
  });
  await server.start();
  app = createHttpApp(server);
});
afterAll(() => server.stop(1000));

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + sep);

describe('path safety', () => {
  it('refuses hostile model names, versions and override paths, and never leaks files', async () => {
    const before = tree(sandbox).filter((p) => !inside(p, overrides));
    const responses: string[] = [];
    const hit = async (path: string, init?: RequestInit) => {
      const res = await app.request(path, init);
      const text = await res.text();
      responses.push(text);
      return { status: res.status, text };
    };
    for (const name of ['..', '..%2F..%2Fsecret.txt', '%2E%2E', 'a%2Fb', '%2Fetc%2Fpasswd', '..%5C..%5Csecret', 'linked_model%2F..%2F..']) {
      const r = await hit(`/v2/repository/models/${name}/load`, { method: 'POST' });
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
      expect((await hit(`/v2/models/${name}`)).status, name).toBeGreaterThanOrEqual(400);
    }
    expect((await hit('/v2/models/good/versions/..%2F1')).status).toBe(404);
    const config = JSON.stringify({ backend: 'onnxruntime', input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [2] }], output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2] }] });
    for (const path of ['../x', '../../../tmp/evil', '/etc/evil', '1/../../evil', '1\\..\\..\\evil', 'C:/evil', '1/./../../evil']) {
      const r = await hit('/v2/repository/models/upload/load', post({ parameters: { config, [`file:${path}`]: 'AAAA' } }));
      expect(r.status, path).toBe(400);
    }
    // Symlinks that lead out of the repository are treated as missing.
    expect((await hit('/v2/repository/models/linked_model/load', { method: 'POST' })).status).toBe(404);
    expect((await hit('/v2/repository/models/sneaky/load', { method: 'POST' })).status).toBe(400);
    // A label file outside the model directory is refused; the symlinked labels.txt is unreadable.
    expect((await hit('/v2/repository/models/leaky/load', { method: 'POST' })).text).toMatch(/is outside model directory/);
    const good = await hit('/v2/repository/models/good/load', post({ parameters: { config: JSON.stringify({ backend: 'onnxruntime', output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2], label_filename: 'labels.txt' }] }) } }));
    expect(good.status).toBe(400);
    // A legitimate upload lands in the private override directory only.
    const { identityModel: model } = await import('../../src/tools/onnx/models.ts');
    const up = await hit('/v2/repository/models/upload/load', post({ parameters: { config, 'file:1/model.onnx': Buffer.from(model('int32', [2])).toString('base64') } }));
    expect(up.status, up.text).toBe(200);

    for (const text of responses) expect(text).not.toContain(SECRET);
    const after = tree(sandbox).filter((p) => !inside(p, overrides));
    expect(after).toEqual(before);
    const allowed = [realpathSync(repo), ...written.map((w) => realpathSync(w))];
    const outside = seen.filter((p) => !allowed.some((a) => inside(p, a)));
    expect(outside).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
  });
});
