import { type Endpoint, type Remote, releaseProxy, transfer, wrap } from 'comlink';
import { bodyOf, decodeClientResponse, encodeClientRequest } from '../../core/index.ts';
import type { TransportOptions, WireRequest, WorkerServerApi } from './protocol.ts';

export type { DownloadProgress, TransportOptions, WireRequest, WireResponse, WorkerServerApi } from './protocol.ts';

export interface TensorInput {
  name: string;
  datatype: string;
  shape: number[];
  /** Numbers/strings/booleans (sent as JSON) or a typed array (sent as binary). */
  data: ArrayLike<number | bigint | string | boolean> | ArrayBufferView;
}

export interface TensorOutput {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON outputs as arrays; binary outputs as raw little-endian bytes. */
  data?: unknown[];
  bytes?: Uint8Array;
}

export interface InferOptions {
  version?: string;
  id?: string;
  parameters?: Record<string, string | number | boolean>;
  /** Ask for outputs as binary (raw bytes) instead of JSON arrays. */
  binaryOutputs?: boolean;
  outputs?: string[];
}

export interface WorkerClient {
  /** A `fetch`-compatible function that reaches the server in the worker (path-only URLs work). */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  infer(
    model: string,
    inputs: TensorInput[],
    opts?: InferOptions,
  ): Promise<{ model_name: string; model_version: string; outputs: TensorOutput[]; parameters?: Record<string, unknown> }>;
  load(model: string, parameters?: Record<string, string>): Promise<void>;
  unload(model: string, opts?: { unloadDependents?: boolean }): Promise<void>;
  index(readyOnly?: boolean): Promise<{ name: string; version?: string; state?: string; reason?: string }[]>;
  ready(model?: string): Promise<boolean>;
  /** Resolves when the server finished loading its startup models. */
  started(): Promise<void>;
  /** Drops the comlink proxy (the worker keeps running). */
  close(): void;
}

/**
 * A client for a Nereid server in a Web Worker, a MessagePort or any comlink endpoint. Request
 * bodies are transferred unless `opts.transfer` is false: pass `{ transfer: false }` in an
 * Electron renderer whose port leads to the main process's MessagePortMain.
 */
export function createWorkerClient(endpoint: Endpoint, opts: TransportOptions = {}): WorkerClient {
  const remote: Remote<WorkerServerApi> = wrap<WorkerServerApi>(endpoint);
  const mayTransfer = opts.transfer ?? true;
  const doFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(typeof input === 'string' && input.startsWith('/') ? new URL(input, 'http://nereid.worker') : input, init);
    const url = new URL(req.url);
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
    const wire: WireRequest = {
      method: req.method,
      url: url.pathname + url.search,
      headers: [...req.headers.entries()],
      body: body && body.byteLength > 0 ? body : undefined,
    };
    const res = await remote.fetch(wire.body && mayTransfer ? transfer(wire, [wire.body]) : wire);
    const nullBody = res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200);
    return new Response(nullBody ? null : (res.body ?? null), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const failIfNotOk = async (res: Response) => {
    if (res.ok) return;
    const text = await res.text();
    let msg = text;
    try {
      msg = JSON.parse(text).error ?? text;
    } catch {
      /* not JSON */
    }
    throw Object.assign(new Error(msg || `HTTP ${res.status}`), { status: res.status });
  };
  return {
    fetch: doFetch,
    async infer(model, inputs, opts = {}) {
      const encoded = encodeClientRequest({
        id: opts.id,
        parameters: { ...opts.parameters, ...(opts.binaryOutputs ? { binary_data_output: true } : {}) },
        inputs: inputs.map((t) =>
          ArrayBuffer.isView(t.data)
            ? { name: t.name, datatype: t.datatype, shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }
            : { name: t.name, datatype: t.datatype, shape: t.shape, data: Array.from(t.data as ArrayLike<unknown>) },
        ),
        outputs: opts.outputs,
      });
      const path = `/v2/models/${encodeURIComponent(model)}${opts.version ? `/versions/${opts.version}` : ''}/infer`;
      const headers: Record<string, string> = encoded.headerLength !== undefined ? { 'inference-header-content-length': String(encoded.headerLength) } : {};
      const res = await doFetch(path, { method: 'POST', body: bodyOf(encoded) as Uint8Array<ArrayBuffer>, headers });
      await failIfNotOk(res);
      const hl = res.headers.get('inference-header-content-length');
      // Output bytes are copied out of the body, so each owns its buffer.
      const parsed = decodeClientResponse(new Uint8Array(await res.arrayBuffer()), hl === null ? null : Number(hl));
      for (const o of parsed.outputs) if (o.bytes) o.bytes = o.bytes.slice();
      return parsed as Awaited<ReturnType<WorkerClient['infer']>>;
    },
    async load(model, parameters) {
      await failIfNotOk(
        await doFetch(`/v2/repository/models/${encodeURIComponent(model)}/load`, { method: 'POST', body: JSON.stringify(parameters ? { parameters } : {}) }),
      );
    },
    async unload(model, opts = {}) {
      const body = opts.unloadDependents ? { parameters: { unload_dependents: true } } : {};
      await failIfNotOk(await doFetch(`/v2/repository/models/${encodeURIComponent(model)}/unload`, { method: 'POST', body: JSON.stringify(body) }));
    },
    async index(readyOnly = false) {
      const res = await doFetch('/v2/repository/index', { method: 'POST', body: JSON.stringify(readyOnly ? { ready: true } : {}) });
      await failIfNotOk(res);
      return res.json();
    },
    async ready(model) {
      const res = await doFetch(model ? `/v2/models/${encodeURIComponent(model)}/ready` : '/v2/health/ready');
      await res.arrayBuffer();
      return res.status === 200;
    },
    started: () => remote.started(),
    close: () => remote[releaseProxy](),
  };
}
