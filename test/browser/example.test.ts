/**
 * The example page in headless Chromium: the worker server loads examples/models over HTTP,
 * runs them on WebGPU (SwiftShader) and on WASM with the results of the Node server, serves a
 * reload from IndexedDB, recycles its worker, answers plain fetch() in service worker mode, and
 * leaves a screenshot in test-artifacts/. First, what a first-time visitor sees, and a reload.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInputs, type TensorMeta } from '../../examples/browser/inputs.ts';
import { type ExampleServer, startExampleServer } from '../../examples/browser/serve.mjs';
import { writeRepositoryIndex } from '../../src/cli/repo-index.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, skipBrowser, snapshotDist } from './harness.ts';

interface Output {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
}
interface RunResult {
  model: string;
  outputs: Output[];
  provider?: string;
  ms: number;
}
interface Progress {
  path: string;
  source: string;
  done: boolean;
}
type Win = {
  nereid: {
    ready: Promise<void>;
    run(m: string): Promise<RunResult>;
    progress: Progress[];
    handle: { recycle(): Promise<void>; client: { index(ready?: boolean): Promise<{ name: string }[]> } };
  };
};

/** Every file under `dir`, relative to it. */
const files = (dir: string, prefix = ''): string[] =>
  readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)]));

const ONNX_MODELS = ['accumulate', 'add_sub', 'auto_complete', 'classifier', 'simple_string'];
const ALL_MODELS = [...ONNX_MODELS, 'add_sub_scaled', 'scale_js'];

describe.skipIf(skipBrowser)('browser: examples/browser page in Chromium', () => {
  let server: ExampleServer;
  let node: TestServer;
  let browser: Browser;
  let page: Page;
  const downloads: string[] = [];
  const repositoryRequests: string[] = [];
  let sequence = 1000;

  beforeAll(async () => {
    const dist = await snapshotDist();
    writeRepositoryIndex('examples/models');
    server = await startExampleServer({
      port: 0,
      dist,
      build: false,
      index: false,
      quiet: true,
      onRequest: (m, p) => {
        if (p.startsWith('/models/')) repositoryRequests.push(p);
        if (p.endsWith('.onnx') && m === 'GET') downloads.push(p);
      },
    });
    [node, browser] = await Promise.all([startServer({ repositories: ['examples/models'] }), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await node?.stop();
  });

  const open = async (query: string) => {
    await page.goto(`${server.url}?${query}`);
    await page.evaluate(() => (window as unknown as Win).nereid.ready);
  };
  const run = (model: string) => page.evaluate((m) => (window as unknown as Win).nereid.run(m), model);

  /** What the Node server (onnxruntime-node on CPU) answers to the same generated request. */
  const expected = async (model: string): Promise<Output[]> => {
    const meta = await (await node.request(`/v2/models/${model}`)).json();
    const config = await (await node.request(`/v2/models/${model}/config`)).json();
    const parameters = config.sequence_batching ? { sequence_id: sequence++, sequence_start: true, sequence_end: true } : {};
    const res = await node.request(`/v2/models/${model}/infer`, post({ parameters, inputs: exampleInputs(meta.inputs as TensorMeta[]) }));
    expect(res.status, model).toBe(200);
    return (await res.json()).outputs;
  };
  const expectSame = (got: Output[], want: Output[], model: string, tolerance: number) => {
    expect(
      got.map((o) => `${o.name}:${o.datatype}:${o.shape}`),
      model,
    ).toEqual(want.map((o) => `${o.name}:${o.datatype}:${o.shape}`));
    got.forEach((o, k) => {
      const w = want[k]!.data!;
      o.data!.forEach((v, i) => {
        if (typeof v === 'number') expect(Math.abs(v - (w[i] as number)), `${model} ${o.name}[${i}]: ${v} vs ${w[i]}`).toBeLessThanOrEqual(tolerance);
        else expect(v, `${model} ${o.name}[${i}]`).toEqual(w[i]);
      });
    });
  };

  it("a first visit: a line saying what to do, no progress bar before anything downloads, then 'downloaded'; a reload says 'from IndexedDB'", async () => {
    // A fresh browser profile (empty IndexedDB), whatever the other tests did.
    const context = await browser.newContext();
    try {
      const first = await context.newPage();
      const classifierFiles = files('examples/models/classifier');
      const bytes = classifierFiles.reduce((n, f) => n + statSync(join('examples/models/classifier', f)).size, 0);
      const size = bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
      const state = () =>
        first.evaluate(() => {
          const shown = (id: string) => document.getElementById(id)!.checkVisibility();
          return { hint: shown('hint'), progress: shown('progress'), bar: shown('bar'), label: document.getElementById('progress-label')!.textContent };
        });

      downloads.length = 0;
      await first.goto(`${server.url}?ep=wasm`);
      await first.evaluate(() => (window as unknown as Win).nereid.ready);
      const opened = await state();
      expect(opened).toMatchObject({ progress: false, bar: false });
      expect(opened.hint).toBe(true);
      expect(await first.textContent('#hint')).toMatch(/Nothing is loaded yet\. Pick a model .* press Run with generated input/);

      await first.evaluate(() => (window as unknown as Win).nereid.run('classifier'));
      expect(downloads).toEqual(['/models/classifier/1/model.onnx']);
      expect(await state()).toEqual({
        hint: false,
        progress: true,
        bar: false,
        label: `classifier: downloaded ${classifierFiles.length} files (${size}), now kept in IndexedDB`,
      });

      downloads.length = 0;
      await first.reload();
      await first.evaluate(() => (window as unknown as Win).nereid.ready);
      expect(await state()).toMatchObject({ hint: true, progress: false, bar: false });
      await first.evaluate(() => (window as unknown as Win).nereid.run('classifier'));
      expect(downloads).toEqual([]);
      expect(await state()).toEqual({
        hint: false,
        progress: true,
        bar: false,
        label: `classifier: ${classifierFiles.length} files from IndexedDB (${size}), nothing downloaded`,
      });
    } finally {
      await context.close();
    }
  });

  it("runs models on WebGPU (SwiftShader adapter) with the Node server's results", async () => {
    await open('ep=webgpu');
    for (const model of ['add_sub', 'classifier']) {
      const r = await run(model);
      expect(r.provider, model).toBe('webgpu');
      expectSame(r.outputs, await expected(model), model, 1e-5);
      console.log(`[webgpu] ${model}: ${r.ms.toFixed(1)} ms per request (first run)`);
    }
    expect(downloads.sort()).toEqual(['/models/add_sub/1/model.onnx', '/models/classifier/1/model.onnx']);
  });

  it("runs every example model on WASM with the Node server's results; a reload reads the model files from IndexedDB", async () => {
    await open('ep=wasm');
    for (const model of ALL_MODELS) {
      const r = await run(model);
      if (ONNX_MODELS.includes(model)) expect(r.provider, model).toBe('wasm');
      expectSame(r.outputs, await expected(model), model, 1e-5);
    }
    // add_sub and classifier came from IndexedDB already (downloaded on the WebGPU page).
    expect(downloads.filter((p) => p.includes('/add_sub/') || p.includes('/classifier/'))).toHaveLength(2);

    downloads.length = 0;
    await page.reload();
    await page.evaluate(() => (window as unknown as Win).nereid.ready);
    for (const model of ALL_MODELS) expectSame((await run(model)).outputs, await expected(model), model, 1e-5);
    expect(downloads, 'model files downloaded again after a reload').toEqual([]);
    const progress = await page.evaluate(() => (window as unknown as Win).nereid.progress);
    const fromCache = progress.filter((p) => p.source === 'cache' && p.path.endsWith('.onnx')).map((p) => p.path);
    expect(new Set(fromCache)).toEqual(new Set(ONNX_MODELS.map((m) => `${m}/1/model.onnx`)));
  });

  it('works offline from IndexedDB after a page load that saw the repository', async () => {
    let blocked = 0;
    await page.context().route('**/models/**', (route) => {
      blocked++;
      return route.abort('internetdisconnected');
    });
    try {
      repositoryRequests.length = 0;
      await page.reload();
      await page.evaluate(() => (window as unknown as Win).nereid.ready);
      for (const model of ['add_sub', 'scale_js']) expectSame((await run(model)).outputs, await expected(model), model, 1e-5);
      expect(blocked, 'the worker tried the network').toBeGreaterThan(0);
      expect(repositoryRequests, 'no request reached the server').toEqual([]);
    } finally {
      await page.context().unroute('**/models/**');
    }
  });

  it('recycle() restarts the worker and loads the ready models again', async () => {
    const before = await page.evaluate(() => (window as unknown as Win).nereid.handle.client.index(true));
    await page.evaluate(() => (window as unknown as Win).nereid.handle.recycle());
    const after = await page.evaluate(() => (window as unknown as Win).nereid.handle.client.index(true));
    expect(after.map((e) => e.name).sort()).toEqual(before.map((e) => e.name).sort());
    expectSame((await run('add_sub')).outputs, await expected('add_sub'), 'add_sub', 1e-5);
    expect(downloads).toEqual([]);
  });

  it('service worker mode: plain fetch("/v2/...") from the page reaches the worker server (default provider: WASM on a software adapter)', async () => {
    await open('sw=1');
    const r = await page.evaluate(async () => {
      const ready = await fetch('/v2/health/live');
      const load = await fetch('/v2/repository/models/add_sub/load', { method: 'POST' });
      const body = JSON.stringify({
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: Array(16).fill(1) },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: Array(16).fill(2) },
        ],
      });
      const infer = await (await fetch('/v2/models/add_sub/infer', { method: 'POST', body })).json();
      const meta = await (await fetch('/v2/models/add_sub')).json();
      return { live: ready.status, load: load.status, outputs: infer.outputs.map((o: Output) => o.data), provider: meta.parameters.execution_provider };
    });
    expect(r).toEqual({ live: 200, load: 200, outputs: [Array(16).fill(3), Array(16).fill(-1)], provider: 'wasm' });
  });

  it('leaves a screenshot of the example page in test-artifacts/', async () => {
    await open('ep=webgpu');
    await run('classifier');
    await page.waitForSelector('#result[data-model="classifier"]');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/browser-example.png', fullPage: true });
  });
});
