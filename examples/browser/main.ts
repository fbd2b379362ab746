// The example page: Nereid in a Web Worker serving examples/models over HTTP (bundled by serve.mjs;
// the import below resolves to the built /dist/browser/index.js at run time).
import { type DownloadProgress, startWorkerServer, type TensorOutput, useServiceWorker, type WorkerServerHandle } from '../../src/platform/browser/index.ts';
import { exampleInputs, type TensorMeta } from './inputs.ts';

interface RunResult {
  model: string;
  outputs: TensorOutput[];
  provider?: string;
  fallback?: string;
  ms: number;
}

export interface ExampleApi {
  handle: WorkerServerHandle;
  /** Settles when the worker server started (and, with ?sw=1, the service worker is connected). */
  ready: Promise<void>;
  run(model: string): Promise<RunResult>;
  refresh(): Promise<void>;
  progress: DownloadProgress[];
}

declare global {
  interface Window {
    nereid: ExampleApi;
  }
}

const q = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ep = q.get('ep');
const handle = startWorkerServer({
  repositories: [{ http: q.get('repo') ?? '/models/', cache: q.get('cache') !== '0' }],
  controlMode: 'explicit',
  executionProvider: ep === 'webgpu' || ep === 'wasm' ? ep : undefined,
});

// Download progress: one bar for every file still downloading.
const progress: DownloadProgress[] = [];
const active = new Map<string, DownloadProgress>();
let hideTimer: ReturnType<typeof setTimeout> | undefined;
handle.onProgress((p) => {
  progress.push(p);
  active.set(p.path, p);
  const files = [...active.values()];
  const loaded = files.reduce((n, f) => n + f.loaded, 0);
  const total = files.reduce((n, f) => n + (f.total ?? f.loaded), 0);
  $('progress').hidden = false;
  const bar = $<HTMLProgressElement>('bar');
  bar.max = Math.max(total, 1);
  bar.value = loaded;
  $('progress-label').textContent = `${p.path}: ${kb(p.loaded)}${p.total ? ` of ${kb(p.total)}` : ''} ${p.source === 'cache' ? '(from IndexedDB)' : '(downloading)'}`;
  clearTimeout(hideTimer);
  if (files.every((f) => f.done)) {
    hideTimer = setTimeout(() => {
      active.clear();
      $('progress').hidden = true;
    }, 1500);
  }
});
const cell = (text: string, className = '') => Object.assign(document.createElement('td'), { textContent: text, className });
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;

async function refresh(): Promise<void> {
  const index = await handle.client.index();
  const body = $('models').querySelector('tbody')!;
  body.replaceChildren(
    ...index.map((e) => {
      const row = document.createElement('tr');
      row.dataset.model = e.name;
      const ready = e.state === 'READY';
      const state = cell(e.state ?? 'not loaded', `state ${e.state ?? 'unloaded'}`);
      if (e.reason) state.append(' ', Object.assign(document.createElement('small'), { textContent: e.reason }));
      const button = Object.assign(document.createElement('button'), { textContent: ready ? 'Unload' : 'Load' });
      button.onclick = () => act(() => (ready ? handle.client.unload(e.name) : handle.client.load(e.name)));
      const actions = cell('');
      actions.append(button);
      row.append(cell(e.name), cell(e.version ?? ''), state, actions);
      return row;
    }),
  );
  const select = $<HTMLSelectElement>('model');
  const chosen = select.value;
  const names = [...new Set(index.map((e) => e.name))];
  select.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
  if (names.includes(chosen)) select.value = chosen;
}

async function act(fn: () => Promise<unknown>): Promise<void> {
  $('error').textContent = '';
  try {
    await fn();
  } catch (e) {
    $('error').textContent = (e as Error).message;
  }
  await refresh();
}

let sequence = 1;
async function run(model: string): Promise<RunResult> {
  const { client } = handle;
  $<HTMLSelectElement>('model').value = model;
  if (!(await client.ready(model))) {
    await client.load(model);
    await refresh();
  }
  const meta = await (await client.fetch(`/v2/models/${encodeURIComponent(model)}`)).json();
  const config = await (await client.fetch(`/v2/models/${encodeURIComponent(model)}/config`)).json();
  const parameters = config.sequence_batching ? { sequence_id: sequence++, sequence_start: true, sequence_end: true } : undefined;
  const t0 = performance.now();
  const res = await client.infer(model, exampleInputs(meta.inputs as TensorMeta[]), { parameters });
  const ms = performance.now() - t0;
  const result: RunResult = { model, outputs: res.outputs, provider: meta.parameters?.execution_provider, fallback: meta.parameters?.fallback_reason, ms };
  show(result);
  return result;
}

function show(r: RunResult): void {
  $('provider').textContent = r.provider ? `${r.provider}${r.fallback ? ` (fallback: ${r.fallback})` : ''}` : 'n/a (not an onnxruntime model)';
  $('timing').textContent = `${r.ms.toFixed(1)} ms (round trip through the worker)`;
  $('outputs').textContent = r.outputs
    .map((o) => `${o.name} ${o.datatype} [${o.shape.join(', ')}]\n  ${JSON.stringify(o.data?.slice(0, 16))}${(o.data?.length ?? 0) > 16 ? ' …' : ''}`)
    .join('\n');
  $('result').dataset.model = r.model;
}

async function start(): Promise<void> {
  await handle.client.started();
  if (q.get('sw') === '1') {
    await useServiceWorker(handle, { url: '/dist/browser/service-worker.js' });
    $('sw').textContent = 'service worker mode: plain fetch("/v2/...") reaches the worker';
  }
  const meta = await (await handle.client.fetch('/v2')).json();
  const caps = await handle.capabilities();
  const gpu = caps.webgpu.available ? `WebGPU adapter: ${caps.webgpu.adapter}${caps.webgpu.fallbackAdapter ? ' (software)' : ''}` : `no WebGPU (${caps.webgpu.reason})`;
  $('status').textContent = `${meta.name} ${meta.version} ready in a Web Worker · ${gpu}`;
  document.body.dataset.state = 'ready';
  await refresh();
}

$<HTMLButtonElement>('run').onclick = () => act(() => run($<HTMLSelectElement>('model').value));
$<HTMLButtonElement>('recycle').onclick = () => act(() => handle.recycle());
$<HTMLSelectElement>('ep').value = ep ?? '';
$<HTMLSelectElement>('ep').onchange = (ev) => {
  const v = (ev.target as HTMLSelectElement).value;
  if (v) q.set('ep', v);
  else q.delete('ep');
  location.search = q.toString();
};

const ready = start().catch((e: Error) => {
  $('status').textContent = `failed: ${e.message}`;
  document.body.dataset.state = 'failed';
  throw e;
});
window.nereid = { handle, ready, run, refresh, progress };
