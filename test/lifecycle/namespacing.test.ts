import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { composing, ensemble as ensembleOf } from '../helpers/addsub-models.ts';
import { type FileTree, tmpTree } from '../helpers/tmp.ts';

/**
 * Triton's model-namespacing suite (qa/L0_model_namespacing), ported: two repositories holding
 * "addsub" and "subadd" JavaScript models (config from autoCompleteConfig, as the Python models
 * there) and ensembles over them; every scenario under POLL and under EXPLICIT.
 */
const ADDSUB = composing('+', '-');
const SUBADD = composing('-', '+');

const ensemble = (step: string) => ensembleOf(step, 'version_policy: { all { }}');

const model = (js: string): FileTree => ({ '1/model.js': js });
const ens = (step: string): FileTree => ({ 'config.pbtxt': ensemble(step), '1/.keep': '' });
const under = (prefix: string, tree: FileTree): FileTree => Object.fromEntries(Object.entries(tree).map(([k, v]) => [`${prefix}/${k}`, v]));

interface Layout {
  addsub: Record<string, FileTree>;
  subadd: Record<string, FileTree>;
}

const LAYOUTS: Record<string, Layout> = {
  no_duplication: {
    addsub: { simple_addsub: ens('composing_addsub'), composing_addsub: model(ADDSUB) },
    subadd: { simple_subadd: ens('composing_subadd'), composing_subadd: model(SUBADD) },
  },
  duplication: {
    addsub: { simple_addsub: ens('composing_model'), composing_model: model(ADDSUB) },
    subadd: { simple_subadd: ens('composing_model'), composing_model: model(SUBADD) },
  },
  ensemble_duplication: {
    addsub: { simple_ensemble: ens('composing_addsub'), composing_addsub: model(ADDSUB) },
    subadd: { simple_ensemble: ens('composing_subadd'), composing_subadd: model(SUBADD) },
  },
};

function makeRepos(layout: Layout): { root: string; addsub: string; subadd: string } {
  const files: FileTree = {};
  for (const [name, tree] of Object.entries(layout.addsub)) Object.assign(files, under(`addsub_repo/${name}`, tree));
  for (const [name, tree] of Object.entries(layout.subadd)) Object.assign(files, under(`subadd_repo/${name}`, tree));
  const root = tmpTree(files);
  return { root, addsub: join(root, 'addsub_repo'), subadd: join(root, 'subadd_repo') };
}

const X = Array.from({ length: 16 }, (_, i) => i);
const DOUBLE = X.map((x) => 2 * x);
const ZERO = X.map(() => 0);

async function infer(t: TestServer, name: string): Promise<{ status: number; body: { outputs?: { data: number[] }[]; error?: string } }> {
  const res = await t.request(
    `/v2/models/${name}/infer`,
    post({
      inputs: [
        { name: 'INPUT0', shape: [16], datatype: 'INT32', data: X },
        { name: 'INPUT1', shape: [16], datatype: 'INT32', data: X },
      ],
    }),
  );
  return { status: res.status, body: await res.json() };
}

async function expectAddSub(t: TestServer, name: string) {
  const r = await infer(t, name);
  expect(r.body.error, name).toBeUndefined();
  expect([r.body.outputs![0]!.data, r.body.outputs![1]!.data], name).toEqual([DOUBLE, ZERO]);
}

async function expectSubAdd(t: TestServer, name: string) {
  const r = await infer(t, name);
  expect(r.body.error, name).toBeUndefined();
  expect([r.body.outputs![0]!.data, r.body.outputs![1]!.data], name).toEqual([ZERO, DOUBLE]);
}

async function expectAmbiguous(t: TestServer, name: string) {
  const r = await infer(t, name);
  expect(r.status, name).toBe(400);
  expect(r.body.error).toBe(`There are 2 identifiers of model '${name}' in global map, model namespace must be provided to resolve ambiguity.`);
}

async function expectLiveAndReady(t: TestServer) {
  expect((await t.request('/v2/health/live')).status).toBe(200);
  expect((await t.request('/v2/health/ready')).status).toBe(200);
}

type Mode = 'poll' | 'explicit';

async function start(mode: Mode, repos: { addsub: string; subadd: string }): Promise<TestServer> {
  return startServer({ repositories: [repos.addsub, repos.subadd], namespacing: true, controlMode: mode, startupModels: [] });
}

async function load(t: TestServer, name: string) {
  const res = await t.request(`/v2/repository/models/${name}/load`, { method: 'POST' });
  expect(res.status, `load ${name}: ${await res.clone().text()}`).toBe(200);
}

describe.each(['poll', 'explicit'] as Mode[])('model namespacing (%s)', (mode) => {
  it('test_no_duplication', async () => {
    const t = await start(mode, makeRepos(LAYOUTS.no_duplication!));
    try {
      if (mode === 'explicit') {
        await load(t, 'simple_addsub');
        await load(t, 'simple_subadd');
      }
      await expectLiveAndReady(t);
      await expectAddSub(t, 'simple_addsub');
      await expectAddSub(t, 'composing_addsub');
      await expectSubAdd(t, 'simple_subadd');
      await expectSubAdd(t, 'composing_subadd');
    } finally {
      await t.stop();
    }
  });

  it('test_duplication', async () => {
    const t = await start(mode, makeRepos(LAYOUTS.duplication!));
    try {
      if (mode === 'explicit') {
        await load(t, 'simple_addsub');
        await load(t, 'simple_subadd');
      }
      await expectLiveAndReady(t);
      await expectAddSub(t, 'simple_addsub');
      await expectSubAdd(t, 'simple_subadd');
      await expectAmbiguous(t, 'composing_model');
      // Beyond Triton: a qualified name picks the namespace.
      await expectAddSub(t, 'addsub_repo::composing_model');
      await expectSubAdd(t, 'subadd_repo::composing_model');
    } finally {
      await t.stop();
    }
  });

  it('test_ensemble_duplication', async () => {
    const t = await start(mode, makeRepos(LAYOUTS.ensemble_duplication!));
    try {
      if (mode === 'explicit') await load(t, 'simple_ensemble');
      await expectLiveAndReady(t);
      await expectAddSub(t, 'composing_addsub');
      await expectSubAdd(t, 'composing_subadd');
      await expectAmbiguous(t, 'simple_ensemble');
      await expectAddSub(t, 'addsub_repo::simple_ensemble');
      await expectSubAdd(t, 'subadd_repo::simple_ensemble');
    } finally {
      await t.stop();
    }
  });

  it('test_dynamic_resolution', async () => {
    const repos = makeRepos(LAYOUTS.duplication!);
    const inside = join(repos.addsub, 'composing_model');
    const outside = join(repos.root, 'composing_model');
    const t = await start(mode, repos);
    try {
      if (mode === 'poll') {
        renameSync(inside, outside);
        await t.server.manager.poll();
      } else {
        renameSync(inside, outside);
        await load(t, 'simple_addsub');
        await load(t, 'simple_subadd');
      }
      await expectLiveAndReady(t);
      await expectSubAdd(t, 'simple_subadd');
      await expectSubAdd(t, 'simple_addsub');
      await expectSubAdd(t, 'composing_model');

      renameSync(outside, inside);
      if (mode === 'poll') await t.server.manager.poll();
      else await load(t, 'simple_addsub');
      await expectLiveAndReady(t);
      await expectAddSub(t, 'simple_addsub');
      await expectSubAdd(t, 'simple_subadd');
      await expectAmbiguous(t, 'composing_model');
    } finally {
      await t.stop();
    }
  });
});

describe('namespaces in the index and statistics', () => {
  it('index entries carry the namespace; NAME=DIR names it', async () => {
    const repos = makeRepos(LAYOUTS.duplication!);
    const t = await startServer({ repositories: [`left=${repos.addsub}`, `right=${repos.subadd}`], namespacing: true });
    try {
      const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
      expect(index).toEqual([
        { name: 'composing_model', namespace: 'left', version: '1', state: 'READY' },
        { name: 'simple_addsub', namespace: 'left', version: '1', state: 'READY' },
        { name: 'composing_model', namespace: 'right', version: '1', state: 'READY' },
        { name: 'simple_subadd', namespace: 'right', version: '1', state: 'READY' },
      ]);
      await expectAddSub(t, 'left::composing_model');
      const stats = await (await t.request('/v2/models/right::composing_model/stats')).json();
      expect(stats.model_stats).toEqual([expect.objectContaining({ name: 'composing_model', namespace: 'right', version: '1' })]);
      const meta = await (await t.request('/v2/models/left::simple_addsub')).json();
      expect(meta).toMatchObject({ name: 'simple_addsub', platform: 'ensemble', versions: ['1'] });
    } finally {
      await t.stop();
    }
  });

  it('without namespacing a name in two repositories is not loaded', async () => {
    const repos = makeRepos({ addsub: { dup: model(ADDSUB), only_a: model(ADDSUB) }, subadd: { dup: model(SUBADD) } });
    const t = await startServer({ repositories: [repos.addsub, repos.subadd], exitOnError: false });
    try {
      const index = await (await t.request('/v2/repository/index', { method: 'POST' })).json();
      expect(index).toEqual([
        { name: 'dup', state: 'UNAVAILABLE', reason: 'model appears in two or more repositories' },
        { name: 'only_a', version: '1', state: 'READY' },
      ]);
      expect((await infer(t, 'dup')).status).toBe(404);
      await expectAddSub(t, 'only_a');
    } finally {
      await t.stop();
    }
    await expect(startServer({ repositories: [repos.addsub, repos.subadd] })).rejects.toMatchObject({ message: 'failed to load all models' });
  });
});
