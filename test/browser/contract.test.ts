/**
 * The shared KServe v2 contract against Nereid in a browser Web Worker: the contract repository
 * is served over HTTP (with repository.json) and every request goes through the page, the
 * worker transport and the worker's hono app. Plus POLL against the HTTP driver, in the browser.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleServer, startExampleServer } from '../../examples/browser/serve.mjs';
import { writeRepositoryIndex } from '../../src/cli/repo-index.ts';
import { addSubModel, identityModel } from '../../src/tools/onnx/models.ts';
import { kserveContract } from '../contract/kserve-contract.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { writeTree } from '../helpers/tmp-tree.ts';
import { launchBrowser, pageFetch, skipBrowser, snapshotDist } from './harness.ts';

/** Opens /blank.html and starts a worker server there as `window.server`. */
async function startInPage(browser: Browser, server: ExampleServer, options: Record<string, unknown>): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(`${server.url}blank.html`);
  await page.addScriptTag({ type: 'module', content: "import * as nereid from '/dist/browser/index.js'; window.nereidBrowser = nereid;" });
  await page.waitForFunction(() => 'nereidBrowser' in window);
  await page.evaluate(async (opts) => {
    const w = window as unknown as { nereidBrowser: { startWorkerServer(o: unknown): { client: { started(): Promise<void> } } }; server: unknown };
    const handle = w.nereidBrowser.startWorkerServer(opts);
    w.server = handle;
    await handle.client.started();
  }, options);
  return page;
}

const tempRepo = () => tmpTree({}, 'nereid-browser-repo-');

describe.skipIf(skipBrowser)('browser worker server', () => {
  let browser: Browser;
  let dist: string;
  beforeAll(async () => {
    [browser, dist] = await Promise.all([launchBrowser(), snapshotDist()]);
  });
  afterAll(() => browser?.close());

  kserveContract('browser Web Worker (Chromium, WASM, HTTP repository)', async (files) => {
    const dir = tempRepo();
    writeTree(dir, files);
    writeRepositoryIndex(dir);
    const server = await startExampleServer({ port: 0, models: dir, dist, build: false, index: false, quiet: true });
    const page = await startInPage(browser, server, { repositories: [{ http: '/models/', cache: false }], controlMode: 'none', executionProvider: 'wasm' });
    return {
      fetch: (path, init) => pageFetch(page, 'server', path, init),
      stop: async () => {
        await page.close();
        await server.close();
      },
    };
  });

  describe('models checked against their config (WASM)', () => {
    let server: ExampleServer;
    let page: Page;
    beforeAll(async () => {
      const dir = tempRepo();
      writeTree(dir, {
        // No config: onnxruntime-web reports the unnamed dynamic dimension as 4294967295; it must become -1.
        'auto/1/model.onnx': identityModel('float32', [null, 3]),
        'misspelled/config.pbtxt':
          'max_batch_size: 4\ninput [ { name: "INPT0" data_type: TYPE_FP32 dims: [ 3 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 3 ] } ]\n',
        'misspelled/1/model.onnx': identityModel('float32', [null, 3]),
      });
      writeRepositoryIndex(dir);
      server = await startExampleServer({ port: 0, models: dir, dist, build: false, index: false, quiet: true });
      page = await startInPage(browser, server, {
        repositories: [{ http: '/models/', cache: false }],
        controlMode: 'none',
        executionProvider: 'wasm',
        exitOnError: false,
      });
    });
    afterAll(async () => {
      await page?.close();
      await server?.close();
    });
    const get = async (path: string, init?: RequestInit) => pageFetch(page, 'server', path, init);

    it('auto-complete writes -1 for an unnamed dynamic dimension, and the model serves', async () => {
      expect(await (await get('/v2/models/auto/config')).json()).toMatchObject({
        max_batch_size: 4,
        input: [{ name: 'INPUT0', dims: [3] }],
        output: [{ name: 'OUTPUT0', dims: [3] }],
      });
      const r = await get('/v2/models/auto/infer', {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] }),
      });
      expect((await r.json()).outputs[0]).toMatchObject({ name: 'OUTPUT0', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    });

    it('a config naming an input the model lacks leaves the version UNAVAILABLE with the reason', async () => {
      const index = (await (await get('/v2/repository/index', { method: 'POST' })).json()) as { name: string }[];
      expect(index.find((e) => e.name === 'misspelled')).toEqual({
        name: 'misspelled',
        version: '1',
        state: 'UNAVAILABLE',
        reason: "Invalid argument: unable to load model 'misspelled', unexpected inference input 'INPT0', allowed inputs are: INPUT0",
      });
      expect((await get('/v2/health/ready')).status).toBe(400);
    });
  });

  describe('POLL over the HTTP driver', () => {
    const CFG =
      'max_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]\n';
    let server: ExampleServer;
    let page: Page;
    let dir: string;
    beforeAll(async () => {
      dir = tempRepo();
      writeTree(dir, { 'a/config.pbtxt': CFG, 'a/1/model.onnx': addSubModel() });
      writeRepositoryIndex(dir);
      server = await startExampleServer({ port: 0, models: dir, dist, build: false, index: false, quiet: true });
      page = await startInPage(browser, server, { repositories: [{ http: '/models/' }], controlMode: 'poll', pollIntervalMs: 200, executionProvider: 'wasm' });
    });
    afterAll(async () => {
      await page?.close();
      await server?.close();
    });

    const index = async () =>
      (await (await pageFetch(page, 'server', '/v2/repository/index', { method: 'POST' })).json()) as { name: string; version: string; state: string }[];
    const until = async (want: string[]) => {
      let got: string[] = [];
      for (let i = 0; i < 50; i++) {
        got = (await index()).map((e) => `${e.name}/${e.version}:${e.state}`).sort();
        if (JSON.stringify(got) === JSON.stringify(want)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(got).toEqual(want);
    };

    it('loads added models and versions and unloads removed ones once repository.json changes', async () => {
      await until(['a/1:READY']);
      writeTree(dir, { 'a/2/model.onnx': addSubModel(), 'b/config.pbtxt': CFG, 'b/1/model.onnx': addSubModel() });
      await new Promise((r) => setTimeout(r, 600)); // a few polls: files not in repository.json yet are invisible
      await until(['a/1:READY']);
      writeRepositoryIndex(dir);
      await until(['a/1:UNAVAILABLE', 'a/2:READY', 'b/1:READY']);
      rmSync(join(dir, 'b'), { recursive: true });
      mkdirSync(join(dir, 'a', '3'));
      writeFileSync(join(dir, 'a', '3', 'model.onnx'), addSubModel());
      writeRepositoryIndex(dir);
      await until(['a/1:UNAVAILABLE', 'a/2:UNAVAILABLE', 'a/3:READY']);
    });
  });
});
