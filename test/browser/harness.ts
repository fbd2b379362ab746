/**
 * Shared pieces of the browser tests: Chromium through playwright-core (never a downloaded
 * browser), a private copy of the built bundles, the example server, and a `fetch` that goes
 * through the page to the worker server.
 */
import { cpSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { tmpTree } from '../helpers/tmp.ts';

export const CHROMIUM = process.env.NEREID_CHROMIUM ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
/** Without Chromium the browser tests skip, except under CI=true, where they must fail. */
export const skipBrowser = missing && process.env.CI !== 'true';
if (skipBrowser)
  console.warn(`[nereid browser tests] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set NEREID_CHROMIUM); with CI=true they fail instead`);

/** Headless Chromium with a WebGPU adapter on SwiftShader (see shared/PLATFORMS.md). */
export async function launchBrowser(): Promise<Browser> {
  if (missing) throw new Error(`Chromium is required (CI=true) but ${CHROMIUM} does not exist`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-vulkan=swiftshader',
      '--use-webgpu-adapter=swiftshader',
    ],
  });
}

const RUNTIME = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.mjs'];
const BUNDLES = ['browser/index.js', 'browser/service-worker.js', 'worker/worker.js', 'worker/js-worker.js'];

/**
 * A private copy of dist/browser and dist/worker (built by the global setup): a build started
 * by anything else while the tests run must not pull files away from under the browser.
 */
export async function snapshotDist(): Promise<string> {
  const dir = tmpTree({}, 'nereid-dist-');
  const complete = () =>
    BUNDLES.every((f) => existsSync(join(dir, f))) &&
    RUNTIME.every((f) => statSync(join(dir, 'worker', f), { throwIfNoEntry: false })?.size === statSync(join('node_modules/onnxruntime-web/dist', f)).size);
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      for (const sub of ['browser', 'worker']) cpSync(join('dist', sub), join(dir, sub), { recursive: true, filter: (src) => !src.endsWith('.map') });
      if (complete()) return dir;
    } catch {
      // dist/ is being rebuilt right now
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('dist/browser and dist/worker are incomplete; run `node build.mjs`');
}

export interface PageResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/**
 * `fetch(path, init)` through the page: the request goes to `window[handleName].client.fetch`
 * (the worker transport), and the response comes back with its body as base64.
 */
export async function pageFetch(page: Page, handleName: string, path: string, init: RequestInit = {}): Promise<Response> {
  const body =
    init.body === undefined || init.body === null
      ? undefined
      : Buffer.from(typeof init.body === 'string' ? init.body : (init.body as Uint8Array)).toString('base64');
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const r: PageResponse = await page.evaluate(
    async ({ handleName, path, method, headers, body }) => {
      const toBytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const handle = (window as unknown as Record<string, { client: { fetch(p: string, i: RequestInit): Promise<Response> } }>)[handleName]!;
      const res = await handle.client.fetch(path, { method, headers, body: body === undefined ? undefined : toBytes(body) });
      const bytes = new Uint8Array(await res.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { status: res.status, statusText: res.statusText, headers: [...res.headers.entries()], body: btoa(s) };
    },
    { handleName, path, method: init.method ?? 'GET', headers, body },
  );
  const nullBody = r.status === 204 || r.status === 304;
  return new Response(nullBody ? null : Buffer.from(r.body, 'base64'), { status: r.status, statusText: r.statusText, headers: r.headers });
}
