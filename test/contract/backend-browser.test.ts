/**
 * The backend contract against onnxruntime-web in Chromium: the steps run in a module Web Worker
 * of one page (backend-browser-runner.ts, bundled here next to a copy of dist/worker's
 * onnxruntime-web files), the expectations here.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect } from 'vitest';
import { type ExampleServer, startExampleServer } from '../../examples/browser/serve.mjs';
import { launchBrowser, skipBrowser, snapshotDist } from '../browser/harness.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { type BackendFeatures, backendContract, type Unsupported } from './backend-contract.ts';
import type { BackendHarness, ContractModel } from './backend-harness.ts';
import type { RunnerInit } from './backend-browser-runner.ts';
import { NOT_UTF8, onnxFiles } from './backend-subjects.ts';

let browser: Browser | undefined;
let server: ExampleServer | undefined;
let page: Promise<Page> | undefined;

/** One page for every browser subject, its runner worker started (once, on first use). */
function runnerPage(): Promise<Page> {
  page ??= (async () => {
    const dist = await snapshotDist();
    await build({
      entryPoints: [join(import.meta.dirname, 'backend-browser-runner.ts')],
      outfile: join(dist, 'worker', 'contract-runner.js'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      conditions: ['worker', 'browser'],
      external: ['*.wasm', './ort-wasm-*'],
      logLevel: 'warning',
    });
    browser = await launchBrowser();
    server = await startExampleServer({ port: 0, models: tmpTree(), dist, build: false, index: false, quiet: true });
    const p = await browser.newPage();
    p.on('pageerror', (e) => console.error(`[page] ${e.message}`));
    await p.goto(`${server.url}blank.html`);
    await p.evaluate(async () => {
      const worker = new Worker('/dist/worker/contract-runner.js', { type: 'module' });
      const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
      let next = 0;
      await new Promise<void>((ready, fail) => {
        worker.onerror = (e) => fail(new Error(`contract runner failed to start: ${e.message}`));
        worker.onmessage = (e) => {
          if (e.data?.ready) return ready();
          const p = pending.get(e.data.id);
          pending.delete(e.data.id);
          if ('error' in e.data) p?.reject(new Error(e.data.error));
          else p?.resolve(e.data.value);
        };
      });
      (window as unknown as { contractCall: unknown }).contractCall = (subject: string, method: string, args: unknown[]) =>
        new Promise((resolve, reject) => {
          const id = next++;
          pending.set(id, { resolve, reject });
          worker.postMessage({ id, subject, method, args });
        });
    });
    return p;
  })();
  return page;
}

afterAll(async () => {
  await (await page?.catch(() => undefined))?.close();
  await browser?.close();
  await server?.close();
});

/** The harness as calls into the page's runner worker (every value crosses as structured-clone data). */
async function pageHarness(subject: string, provider: RunnerInit['provider']): Promise<BackendHarness> {
  const p = await runnerPage();
  const call = (method: string, ...args: unknown[]) =>
    p.evaluate(([s, m, a]) => (window as unknown as { contractCall(...x: unknown[]): Promise<unknown> }).contractCall(s, m, a), [
      subject,
      method,
      args,
    ] as const);
  const plain = (model: ContractModel) => Object.fromEntries(Object.entries(onnxFiles(model)).map(([f, b]) => [f, Array.from(b)]));
  const init: RunnerInit = { provider, files: { addsub: plain('addsub'), strings: plain('strings') } };
  await call('init', init);
  const methods = ['autoComplete', 'open', 'execute', 'dispose', 'creations', 'close'] as const satisfies readonly (keyof BackendHarness)[];
  return Object.fromEntries(methods.map((m) => [m, (...args: unknown[]) => call(m, ...args)])) as unknown as BackendHarness;
}

/**
 * onnxruntime-web's WebGPU build (ort-wasm-simd-threaded.asyncify) has no string Cast kernel: a
 * string model cannot get a session there (Nereid's instances fall back to WASM for it). Shown by
 * opening the BYTES model on webgpu: it must fail, naming the missing kernel.
 */
const noStringsOnWebGpu: Unsupported = {
  unsupported: "onnxruntime-web's WebGPU build has no string Cast kernel, so the BYTES model cannot load on webgpu",
  async confirm(h) {
    const opened = await h.open('strings').then(
      async ({ ids }) => {
        for (const id of ids) await h.dispose(id);
        return 'opened';
      },
      (e: Error) => e.message,
    );
    expect(opened).toMatch(/Cast/);
  },
};

describe.skipIf(skipBrowser)('onnxruntime-web in Chromium', () => {
  const features: BackendFeatures = { autoComplete: true, bytes: true, badInput: NOT_UTF8, creation: 'serial', processExit: null, device: 'wasm' };
  backendContract('onnxruntime-web in Chromium, a Web Worker (wasm)', () => pageHarness('wasm', 'wasm'), features);
  backendContract('onnxruntime-web in Chromium, a Web Worker (webgpu on SwiftShader)', () => pageHarness('webgpu', 'webgpu'), {
    ...features,
    device: 'webgpu',
    bytes: noStringsOnWebGpu,
    // The one request onnxruntime refuses on its own is one with BYTES that are not UTF-8.
    badInput: noStringsOnWebGpu,
  });
});
