import { cpSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { composing, ensemble } from '../helpers/addsub-models.ts';
import { type FileTree, tmpTree } from '../helpers/tmp.ts';

/**
 * EXPLICIT mode re-reads what it loads: a load request looks at the repositories as they are on
 * disk now, so a copy of the model whose directory vanished is unloaded (after its in-flight
 * requests finish) and ensembles relink to what remains; KServe's model agent's habits (marker
 * files, deleting the directory before the unload call) work.
 */

const X = Array.from({ length: 16 }, (_, i) => i);
const SUM = X.map((x) => x + x);
const DIFF = X.map((x) => x - x);

async function infer(t: TestServer, name: string) {
  const res = await t.request(
    `/v2/models/${name}/infer`,
    post({
      inputs: [
        { name: 'INPUT0', shape: [16], datatype: 'INT32', data: X },
        { name: 'INPUT1', shape: [16], datatype: 'INT32', data: X },
      ],
    }),
  );
  return { status: res.status, body: (await res.json()) as { outputs?: { data: number[] }[]; error?: string } };
}

async function expectPair(t: TestServer, name: string, kind: 'addsub' | 'subadd') {
  const r = await infer(t, name);
  expect(r.body.error, name).toBeUndefined();
  expect([r.body.outputs![0]!.data, r.body.outputs![1]!.data], name).toEqual(kind === 'addsub' ? [SUM, DIFF] : [DIFF, SUM]);
}

async function load(t: TestServer, name: string) {
  const res = await t.request(`/v2/repository/models/${name}/load`, { method: 'POST', body: '{}' });
  expect(res.status, `load ${name}: ${await res.clone().text()}`).toBe(200);
}

async function index(t: TestServer) {
  return (await (await t.request('/v2/repository/index', { method: 'POST' })).json()) as {
    name: string;
    namespace?: string;
    version?: string;
    state?: string;
  }[];
}

function repos(delayMs = 0) {
  const files: FileTree = {
    'addsub_repo/simple_addsub/config.pbtxt': ensemble('composing_model'),
    'addsub_repo/simple_addsub/1/.keep': '',
    'addsub_repo/composing_model/1/model.js': composing('+', '-', delayMs),
    'subadd_repo/simple_subadd/config.pbtxt': ensemble('composing_model'),
    'subadd_repo/simple_subadd/1/.keep': '',
    'subadd_repo/composing_model/1/model.js': composing('-', '+'),
  };
  const root = tmpTree(files);
  return { root, addsub: join(root, 'addsub_repo'), subadd: join(root, 'subadd_repo') };
}

describe('EXPLICIT mode re-reads the repositories on load', () => {
  it('test_dynamic_resolution with the models loaded before the composing model moves', async () => {
    const r = repos();
    const inside = join(r.addsub, 'composing_model');
    const outside = join(r.root, 'composing_model');
    const t = await startServer({ repositories: [r.addsub, r.subadd], namespacing: true, controlMode: 'explicit', startupModels: [] });
    try {
      await load(t, 'simple_addsub');
      await load(t, 'simple_subadd');
      await expectPair(t, 'simple_addsub', 'addsub');
      await expectPair(t, 'simple_subadd', 'subadd');

      renameSync(inside, outside);
      await load(t, 'composing_model');
      await load(t, 'simple_addsub');
      expect((await t.request('/v2/health/ready')).status).toBe(200);
      // Only the remaining copy serves: the name is no longer ambiguous and both ensembles use it.
      await expectPair(t, 'composing_model', 'subadd');
      await expectPair(t, 'simple_addsub', 'subadd');
      await expectPair(t, 'simple_subadd', 'subadd');
      expect((await infer(t, 'addsub_repo::composing_model')).status).toBe(404);
      expect((await index(t)).filter((e) => e.name === 'composing_model').map((e) => e.namespace)).toEqual(['subadd_repo']);

      renameSync(outside, inside);
      await load(t, 'simple_addsub');
      expect((await t.request('/v2/health/ready')).status).toBe(200);
      await expectPair(t, 'simple_addsub', 'addsub');
      await expectPair(t, 'simple_subadd', 'subadd');
      await expectPair(t, 'addsub_repo::composing_model', 'addsub');
      const ambiguous = await infer(t, 'composing_model');
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.body.error).toContain('ambiguity');
    } finally {
      await t.stop();
    }
  });

  it('a vanished copy is unloaded only after its in-flight requests finish', async () => {
    const r = repos(600);
    const t = await startServer({ repositories: [r.addsub, r.subadd], namespacing: true, controlMode: 'explicit', startupModels: [] });
    try {
      await load(t, 'simple_addsub');
      const inflight = infer(t, 'addsub_repo::composing_model');
      await new Promise((res) => setTimeout(res, 100));
      rmSync(join(r.addsub, 'composing_model'), { recursive: true });
      await load(t, 'composing_model');
      const done = await inflight;
      expect(done.body.error).toBeUndefined();
      expect([done.body.outputs![0]!.data, done.body.outputs![1]!.data]).toEqual([SUM, DIFF]);
      expect((await infer(t, 'addsub_repo::composing_model')).status).toBe(404);
      await expectPair(t, 'simple_addsub', 'subadd');
    } finally {
      await t.stop();
    }
  });

  it('a model whose directory was deleted unloads with 200; a load of a vanished model fails and unloads it', async () => {
    const r = repos();
    const t = await startServer({ repositories: [r.subadd], controlMode: 'explicit', startupModels: [] });
    try {
      await load(t, 'composing_model');
      await expectPair(t, 'composing_model', 'subadd');
      const copy = join(r.root, 'saved');
      cpSync(join(r.subadd, 'composing_model'), copy, { recursive: true });
      rmSync(join(r.subadd, 'composing_model'), { recursive: true });
      const res = await t.request('/v2/repository/models/composing_model/unload', { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      expect((await infer(t, 'composing_model')).status).toBe(404);

      cpSync(copy, join(r.subadd, 'composing_model'), { recursive: true });
      await load(t, 'composing_model');
      rmSync(join(r.subadd, 'composing_model'), { recursive: true });
      const again = await t.request('/v2/repository/models/composing_model/load', { method: 'POST', body: '{}' });
      expect(again.status).toBe(404);
      expect((await again.json()).error).toContain("no model directory named 'composing_model'");
      expect((await infer(t, 'composing_model')).status).toBe(404);
      expect((await t.request('/v2/health/ready')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it("KServe's model agent: marker files are ignored without noise; copy → load → infer → delete → unload", async () => {
    const r = repos();
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    const mnt = join(r.root, 'mnt_models');
    cpSync(join(r.subadd, 'composing_model'), join(mnt, 'model_a'), { recursive: true });
    writeFileSync(join(mnt, 'model_a', 'SUCCESS.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), '');
    writeFileSync(join(mnt, 'SUCCESS.model_b'), '');
    const t = await startServer({ repositories: [mnt], controlMode: 'explicit', startupModels: [], log });
    try {
      await load(t, 'model_a');
      await expectPair(t, 'model_a', 'subadd');
      expect(await index(t)).toEqual([{ name: 'model_a', version: '1', state: 'READY' }]);
      rmSync(join(mnt, 'model_a'), { recursive: true });
      const res = await t.request('/v2/repository/models/model_a/unload', { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      expect((await infer(t, 'model_a')).status).toBe(404);
      expect(await index(t)).toEqual([]);
      expect(lines.filter((l) => /^[EW] /.test(l))).toEqual([]);
    } finally {
      await t.stop();
    }
  });
});
