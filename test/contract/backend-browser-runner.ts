/**
 * The backend contract's steps inside a browser: a module Web Worker (where Nereid runs
 * onnxruntime-web in a browser) that builds the onnxruntime backend over browserOrtRuntime and
 * answers the test's harness calls, made through the page (backend-browser.test.ts bundles this
 * file next to dist/worker's onnxruntime-web files). Session creations of both onnxruntime-web
 * builds are counted, to check that they never overlap.
 */
import * as wasmBuild from 'onnxruntime-web/wasm';
import * as webgpuBuild from 'onnxruntime-web/webgpu';
import { probeCapabilities } from '../../src/platform/browser/capabilities.ts';
import { browserOrtRuntime } from '../../src/platform/browser/ort.ts';
import { onnxruntimeBackend } from '../../src/platform/ort/session-backend.ts';
import { type BackendHarness, type ContractModel, type CreationStats, localHarness } from './backend-harness.ts';

export interface RunnerInit {
  provider: 'wasm' | 'webgpu';
  /** The version files of each contract model, as byte values. */
  files: Record<ContractModel, Record<string, number[]>>;
}

export interface RunnerCall {
  id: number;
  subject: string;
  method: 'init' | keyof BackendHarness;
  args: unknown[];
}

const stats: CreationStats = { count: 0, maxInFlight: 0 };
let inFlight = 0;
for (const build of [webgpuBuild, wasmBuild]) {
  const session = build.InferenceSession as unknown as { create: (...args: unknown[]) => Promise<unknown> };
  const create = session.create.bind(session);
  session.create = async (...args: unknown[]) => {
    stats.count++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
    try {
      return await create(...args);
    } finally {
      inFlight--;
    }
  };
}

const caps = probeCapabilities();
const wasmPaths = new URL('.', import.meta.url).href;
const harnesses = new Map<string, BackendHarness>();

async function createHarness(init: RunnerInit): Promise<BackendHarness> {
  const runtime = browserOrtRuntime(await caps, { wasmPaths, threads: 1 });
  const files = (model: ContractModel) => Object.fromEntries(Object.entries(init.files[model]).map(([f, b]) => [f, Uint8Array.from(b)]));
  return localHarness({
    backend: () => onnxruntimeBackend({ web: async () => runtime }),
    files,
    providers: { providers: [init.provider] },
    creations: () => ({ ...stats }),
  });
}

const scope = globalThis as unknown as { addEventListener(t: 'message', l: (e: MessageEvent<RunnerCall>) => void): void; postMessage(m: unknown): void };
scope.addEventListener('message', async ({ data: call }) => {
  try {
    let value: unknown;
    if (call.method === 'init') {
      harnesses.set(call.subject, await createHarness(call.args[0] as RunnerInit));
      value = await caps;
    } else {
      const h = harnesses.get(call.subject);
      if (!h) throw new Error(`no subject '${call.subject}'`);
      value = await (h[call.method] as (...a: unknown[]) => Promise<unknown>)(...call.args);
    }
    scope.postMessage({ id: call.id, value });
  } catch (e) {
    scope.postMessage({ id: call.id, error: (e as Error).message ?? String(e) });
  }
});
scope.postMessage({ ready: true });
