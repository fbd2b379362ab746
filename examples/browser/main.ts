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

// Model files: the bar shows bytes still coming over the network (never an empty bar before
// anything downloads); the line says where each file of the latest action (run, load, recycle)
// came from. A load reads some files twice (IndexedDB answers the second read of a file it has
// just stored): a file downloaded for this action stays "downloaded".
interface FileProgress {
  loaded: number;
  total?: number;
  downloaded: boolean;
  done: boolean;
}
const progress: DownloadProgress[] = [];
const files = new Map<string, FileProgress>();
handle.onProgress((p) => {
  progress.push(p);
  const f = files.get(p.path) ?? { loaded: 0, downloaded: false, done: false };
  if (p.source === 'network') Object.assign(f, { loaded: p.loaded, total: p.total, downloaded: true, done: p.done });
  else if (!f.downloaded) Object.assign(f, { loaded: p.loaded, total: p.total, done: true });
  files.set(p.path, f);
  showProgress();
});

/** A new action starts: the progress line will describe its files only. */
function beginAction(): void {
  files.clear();
  showProgress();
}

function showProgress(): void {
  const all = [...files.values()];
  const pending = all.filter((f) => f.downloaded && !f.done);
  const bar = $<HTMLProgressElement>('bar');
  const label = $('progress-label');
  $('progress').hidden = all.length === 0;
  bar.hidden = pending.length === 0;
  if (pending.length > 0) {
    const loaded = pending.reduce((n, f) => n + f.loaded, 0);
    const total = pending.every((f) => f.total !== undefined) ? pending.reduce((n, f) => n + f.total!, 0) : undefined;
    if (total === undefined)
      bar.removeAttribute('value'); // size unknown: an indeterminate bar
    else Object.assign(bar, { max: Math.max(total, 1), value: loaded });
    label.textContent = `downloading ${count(pending.length)}: ${kb(loaded)}${total === undefined ? '' : ` of ${kb(total)}`}`;
    $('progress').dataset.state = 'downloading';
    return;
  }
  const downloaded = all.filter((f) => f.downloaded);
  const cached = all.filter((f) => !f.downloaded);
  const size = (list: FileProgress[]) => kb(list.reduce((n, f) => n + f.loaded, 0));
  const parts = [];
  if (downloaded.length > 0) parts.push(`downloaded ${count(downloaded.length)} (${size(downloaded)}), now kept in IndexedDB`);
  if (cached.length > 0) parts.push(`${count(cached.length)} from IndexedDB (${size(cached)})${downloaded.length === 0 ? ', nothing downloaded' : ''}`);
  const models = [...new Set([...files.keys()].map((path) => path.split('/')[0]))].join(', ');
  label.textContent = `${models}: ${parts.join('; ')}`;
  $('progress').dataset.state = 'done';
}
const count = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
const cell = (text: string, className = '') => Object.assign(document.createElement('td'), { textContent: text, className });
const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);

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
  $('hint').hidden = index.some((e) => e.state === 'READY' || e.state === 'LOADING');
  const select = $<HTMLSelectElement>('model');
  const chosen = select.value;
  const names = [...new Set(index.map((e) => e.name))];
  select.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
  if (names.includes(chosen)) select.value = chosen;
}

async function act(fn: () => Promise<unknown>): Promise<void> {
  $('error').textContent = '';
  beginAction();
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
  beginAction();
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
  const gpu = caps.webgpu.available
    ? `WebGPU adapter: ${caps.webgpu.adapter}${caps.webgpu.fallbackAdapter ? ' (software)' : ''}`
    : `no WebGPU (${caps.webgpu.reason})`;
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
