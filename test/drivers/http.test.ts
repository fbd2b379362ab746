import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleServer, startExampleServer } from '../../examples/browser/serve.mjs';
import type { DownloadProgress } from '../../src/transports/worker/protocol.ts';
import { http } from '../../src/platform/drivers/http.ts';
import { createServer, type InferenceServer } from '../../src/platform/node/index.ts';
import { writeRepositoryIndex } from '../../src/cli/repo-index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { tmpTree, writeTree } from '../helpers/tmp.ts';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const CFG =
  'max_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\n';

let server: ExampleServer;
const root = tmpTree({ 'a/config.pbtxt': CFG, 'a/1/model.onnx': addSubModel(), 'big/1/weights.bin': new Uint8Array(1 << 20).fill(3) });
const requests: string[] = [];
beforeAll(async () => {
  writeRepositoryIndex(root);
  server = await startExampleServer({ port: 0, models: root, build: false, index: false, quiet: true, onRequest: (m, p) => requests.push(`${m} ${p}`) });
});
afterAll(() => server?.close());
const base = () => `${server.url}models/`;

describe('http repository driver', () => {
  it("stat's etag is the file's sha256 from repository.json; the listing is revalidated (304), not re-downloaded", async () => {
    const d = http({ base: base(), listingTtlMs: 0 });
    expect((await d.stat('a/1/model.onnx'))?.etag).toBe(sha(addSubModel()));
    requests.length = 0;
    await d.list('');
    await d.stat('a/config.pbtxt');
    expect(requests).toEqual(['GET /models/repository.json', 'GET /models/repository.json']);
  });

  it('reports download progress and ends with a done event', async () => {
    const events: DownloadProgress[] = [];
    const d = http({ base: base(), onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect((await d.read('big/1/weights.bin')).byteLength).toBe(1 << 20);
    expect(events.at(-1)).toEqual({ path: 'big/1/weights.bin', loaded: 1 << 20, total: 1 << 20, source: 'network', done: true });
    expect(events.every((e) => e.total === 1 << 20 && e.source === 'network')).toBe(true);
  });

  it('downloads a file once for concurrent reads', async () => {
    const d = http({ base: base() });
    requests.length = 0;
    await Promise.all([d.read('a/1/model.onnx'), d.read('a/1/model.onnx')]);
    expect(requests.filter((r) => r.endsWith('.onnx'))).toHaveLength(1);
  });

  it('refuses bytes that do not match the listing', async () => {
    const dir = tmpTree({ 'm/1/model.onnx': 'one' });
    writeRepositoryIndex(dir);
    writeFileSync(join(dir, 'm/1/model.onnx'), 'two');
    const s = await startExampleServer({ port: 0, models: dir, build: false, index: false, quiet: true });
    try {
      await expect(http({ base: `${s.url}models/` }).read('m/1/model.onnx')).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('does not match the sha256'),
      });
    } finally {
      await s.close();
    }
  });

  it("without repository.json: stat and read still work (the server's ETag), list says how to make one", async () => {
    const dir = tmpTree({ 'm/1/model.onnx': 'bytes' });
    const s = await startExampleServer({ port: 0, models: dir, build: false, index: false, quiet: true });
    try {
      const d = http({ base: `${s.url}models` });
      expect(await d.stat('m/1/model.onnx')).toMatchObject({ kind: 'file', size: 5, etag: expect.stringMatching(/^W\/"/) });
      expect(await d.stat('m/2/model.onnx')).toBeNull();
      expect(new TextDecoder().decode(await d.read('m/1/model.onnx'))).toBe('bytes');
      await expect(d.list('')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('nereid repo index') });
    } finally {
      await s.close();
    }
  });

  it('an unreachable server is UNAVAILABLE', async () => {
    await expect(http({ base: 'http://127.0.0.1:9/' }).list('')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('POLL against the http driver (Node core, onnxruntime-node)', () => {
  let s: InferenceServer;
  const dir = tmpTree({ 'a/config.pbtxt': CFG, 'a/1/model.onnx': addSubModel() });
  let repo: ExampleServer;
  beforeAll(async () => {
    writeRepositoryIndex(dir);
    repo = await startExampleServer({ port: 0, models: dir, build: false, index: false, quiet: true });
    s = await createServer({
      repositories: [{ driver: http({ base: `${repo.url}models/` }), namespace: 'web' }],
      controlMode: 'poll',
      cuda: { available: false, deviceCount: 0, reason: 'tests' },
    });
    await s.start();
  });
  afterAll(async () => {
    await s?.stop(1000);
    await repo?.close();
  });
  const state = async () => (await s.index()).map((e) => `${e.name}/${e.version}:${e.state}`).sort();

  it('sees new versions, new models, changed files and removed models through repository.json', async () => {
    expect(await state()).toEqual(['a/1:READY']);
    writeTree(dir, { 'a/2/model.onnx': addSubModel(), 'b/config.pbtxt': CFG, 'b/1/model.onnx': addSubModel() });
    await s.manager.poll();
    expect(await state(), 'files not in repository.json are not seen').toEqual(['a/1:READY']);
    writeRepositoryIndex(dir);
    await s.manager.poll();
    expect(await state()).toEqual(['a/1:UNAVAILABLE', 'a/2:READY', 'b/1:READY']);
    writeTree(dir, { 'b/config.pbtxt': CFG.replace('max_batch_size: 8', 'max_batch_size: 4') });
    rmSync(join(dir, 'a'), { recursive: true });
    writeRepositoryIndex(dir);
    await s.manager.poll();
    expect(await state()).toEqual(['b/1:READY']);
    expect(s.modelConfig('b')).toMatchObject({ max_batch_size: 4 });
  });
});
