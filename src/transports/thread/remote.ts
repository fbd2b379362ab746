import { applyLogSettings, type InferRequest, type InferResponse, type Logger, type ResponseSink, type ServerApi, tensorCopies } from '../../core/index.ts';
import { type FromEngine, fromWireError, type PortLike, requestBuffers, type ToEngine } from './protocol.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
  sink?: ResponseSink;
}

/**
 * The server as a front-end thread sees it: every call goes to the engine thread over `port`.
 * Request tensors are moved there (their buffers transferred: the request's body is not needed
 * here any more) and response tensors come back the same way.
 */
export function remoteServer(port: PortLike, log: Logger): ServerApi {
  const pending = new Map<number, Pending>();
  let next = 1;
  let reported = 0;
  /** This thread's copies since the last request: the engine's counter covers every thread. */
  const copiedSince = () => {
    const delta = tensorCopies.bytes - reported;
    reported = tensorCopies.bytes;
    return delta;
  };
  port.addEventListener('message', (event) => {
    const m = event.data as FromEngine;
    if (m.t === 'log') {
      // The engine's settings changed (here or in another thread): this thread's logger follows.
      if (log.settings) applyLogSettings(log.settings, m.settings);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    if (m.t === 'part') {
      p.sink?.send(m.error ? fromWireError(m.error) : m.response, m.final);
      if (m.final) {
        pending.delete(m.id);
        p.resolve(undefined);
      }
      return;
    }
    pending.delete(m.id);
    if (m.t === 'ok') p.resolve(m.value);
    else p.reject(fromWireError(m.error));
  });
  const post = (m: ToEngine, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const call = <T>(op: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      post({ t: 'call', id, op, args });
    });
  /** Sends a request (without its signal, which stays here: an abort becomes a 'cancel' message). */
  const request = <T>(t: 'infer' | 'stream', req: InferRequest, extra: { endpoint?: string; sink?: ResponseSink }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, sink: extra.sink });
      const { signal, ...plain } = req;
      signal?.addEventListener('abort', () => pending.has(id) && post({ t: 'cancel', id }), { once: true });
      const copied = copiedSince();
      const m: ToEngine = t === 'infer' ? { t, id, req: plain, endpoint: extra.endpoint, copied } : { t, id, req: plain, copied };
      post(m, requestBuffers(plain));
    });
  return {
    log,
    isLive: () => call('isLive'),
    isReady: () => call('isReady'),
    isExiting: () => call('isExiting'),
    metadata: () => call('metadata'),
    modelMetadata: (model, version) => call('modelMetadata', model, version),
    modelReady: (model, version) => call('modelReady', model, version),
    modelConfig: (model, version) => call('modelConfig', model, version),
    modelConfigMessage: (model, version) => call('modelConfigMessage', model, version),
    servingVersion: (model, version) => call('servingVersion', model, version),
    isDecoupled: (model, version) => call('isDecoupled', model, version),
    modelStats: (model, version) => call('modelStats', model, version),
    infer: (req, endpoint) => request<InferResponse>('infer', req, { endpoint }),
    inferStream: (req, sink) => request<void>('stream', req, { sink }),
    index: (readyOnly) => call('index', readyOnly),
    load: (model, opts) => call('load', model, opts),
    unload: (model, opts) => call('unload', model, opts),
    logSettings: (update) => call('logSettings', update),
  };
}
