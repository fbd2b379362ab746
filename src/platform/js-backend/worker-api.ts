import type { InitializeArgs, JsModelWorkerApi, RespondFn, WireRequest, WireResponse } from './protocol.ts';

interface JsModelModule {
  initialize?(args: InitializeArgs): unknown;
  execute?(requests: WireRequest[]): unknown;
  finalize?(): unknown;
  autoCompleteConfig?(config: unknown): unknown;
}

/** Collects the ArrayBuffers of typed-array outputs so they can be transferred, not copied. */
export function transferables(responses: WireResponse[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const r of responses) {
    for (const t of Object.values(r.outputs ?? {})) {
      const d = t.data as unknown;
      if (ArrayBuffer.isView(d) && d.buffer instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) out.add(d.buffer);
    }
  }
  return [...out];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A model's response (`{ outputs }`, `{ error }` or an Error) as it crosses to the server. */
function toWireResponse(r: unknown): WireResponse {
  if (r instanceof Error) return { error: r.message };
  if (typeof r !== 'object' || r === null) return { error: 'a response must be an object with outputs' };
  const obj = r as WireResponse;
  return obj.error !== undefined ? { error: message(obj.error) } : { outputs: obj.outputs ?? {}, parameters: obj.parameters };
}

/**
 * `request.responseSender` of a decoupled model (Triton's Python backend's `get_response_sender()`):
 * `send(response?, { final })` any number of times, the last with `final: true` (it may carry a
 * response or none). Nothing may be sent after the final one.
 */
function responseSender(index: number, respond: RespondFn, transfer: <T>(value: T, buffers: ArrayBuffer[]) => T) {
  let closed = false;
  return {
    send(response?: unknown, opts: { final?: boolean } = {}): Promise<void> {
      if (closed) throw new Error('the final response of this request was already sent');
      const final = opts.final === true;
      if (final) closed = true;
      if (response === undefined || response === null) {
        if (!final) throw new Error('send() without a response must be the final one: send(undefined, { final: true })');
        return Promise.resolve(respond(index, null, true));
      }
      const wire = toWireResponse(response);
      return Promise.resolve(respond(index, transfer(wire, transferables([wire])), final));
    },
  };
}

/**
 * Runs inside the worker: imports the model's ES module and calls its functions. Platform entry
 * points expose this object over comlink (Node worker_threads, Web Workers, Deno workers).
 */
export function createJsModelWorker(transfer: <T>(value: T, buffers: ArrayBuffer[]) => T): JsModelWorkerApi {
  let mod: JsModelModule | undefined;
  return {
    async load(url, args) {
      mod = (await import(/* @vite-ignore */ url)) as JsModelModule;
      if (typeof mod.execute !== 'function') throw new Error('model.js must export an execute(requests) function');
      if (typeof mod.initialize === 'function') await mod.initialize(args);
    },
    async autoComplete(url, config) {
      const m = (await import(/* @vite-ignore */ url)) as JsModelModule;
      if (typeof m.autoCompleteConfig !== 'function') return config;
      return (await m.autoCompleteConfig(config)) ?? config;
    },
    async execute(requests, respond) {
      if (!mod?.execute) throw new Error('model is not loaded');
      if (respond) {
        requests.forEach((r, i) => Object.assign(r, { responseSender: responseSender(i, respond, transfer) }));
        await mod.execute(requests);
        return [];
      }
      const result = await mod.execute(requests);
      if (!Array.isArray(result)) throw new Error('execute(requests) must return an array of responses');
      const responses: WireResponse[] = result.map(toWireResponse);
      return transfer(responses, transferables(responses));
    },
    async finalize() {
      await mod?.finalize?.();
    },
  };
}
