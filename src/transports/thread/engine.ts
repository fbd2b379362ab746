import { type CancelSignal, countCopied, type InferenceServer, type InferResponse, serverError } from '../../core/index.ts';
import { type FromEngine, movableResponse, type PortLike, type ToEngine, toWireError } from './protocol.ts';

/** A cancellation the engine raises when the front-end says the client went away. */
function remoteSignal(): CancelSignal & { abort(): void } {
  const listeners: (() => void)[] = [];
  let aborted = false;
  return {
    get aborted() {
      return aborted;
    },
    addEventListener(_type, listener) {
      if (aborted) listener();
      else listeners.push(listener);
    },
    abort() {
      if (aborted) return;
      aborted = true;
      for (const l of listeners.splice(0)) l();
    },
  };
}

/** The operations front-end threads may call by name (everything else is refused). */
const CALLS = new Set([
  'isLive',
  'isReady',
  'isExiting',
  'metadata',
  'modelMetadata',
  'modelReady',
  'modelConfig',
  'modelConfigMessage',
  'servingVersion',
  'isDecoupled',
  'modelStats',
  'index',
  'load',
  'unload',
  'logSettings',
]);

/**
 * Serves a front-end thread's requests on the engine thread, the one that owns the models,
 * schedulers and statistics: whichever thread a client reaches, it sees the same server.
 */
export function serveEngine(server: InferenceServer, port: PortLike): void {
  const signals = new Map<number, ReturnType<typeof remoteSignal>>();
  const send = (m: FromEngine, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const fail = (id: number, e: unknown) => send({ t: 'err', id, error: toWireError(e) });
  server.onLogSettings((settings) => send({ t: 'log', settings }));
  port.addEventListener('message', (event) => {
    const m = event.data as ToEngine;
    switch (m.t) {
      case 'cancel':
        signals.get(m.id)?.abort();
        return;
      case 'call': {
        if (!CALLS.has(m.op)) return fail(m.id, serverError('INTERNAL', `unknown engine operation '${m.op}'`));
        try {
          const fn = (server as unknown as Record<string, (...a: unknown[]) => unknown>)[m.op]!;
          Promise.resolve(fn.apply(server, m.args)).then(
            (value) => send({ t: 'ok', id: m.id, value }),
            (e) => fail(m.id, e),
          );
        } catch (e) {
          fail(m.id, e);
        }
        return;
      }
      case 'infer': {
        countCopied(m.copied);
        const signal = remoteSignal();
        signals.set(m.id, signal);
        m.req.signal = signal;
        server.infer(m.req, m.endpoint).then(
          (res: InferResponse) => {
            signals.delete(m.id);
            send({ t: 'ok', id: m.id, value: res }, movableResponse(res));
          },
          (e) => {
            signals.delete(m.id);
            fail(m.id, e);
          },
        );
        return;
      }
      case 'stream': {
        countCopied(m.copied);
        const signal = remoteSignal();
        signals.set(m.id, signal);
        m.req.signal = signal;
        let ended = false;
        server
          .inferStream(m.req, {
            send(r, final) {
              if (final) ended = true;
              if (r instanceof Error) send({ t: 'part', id: m.id, error: toWireError(r), final });
              else if (r) send({ t: 'part', id: m.id, response: r, final }, movableResponse(r));
              else send({ t: 'part', id: m.id, final });
            },
          })
          .then(
            () => {
              signals.delete(m.id);
              if (!ended) send({ t: 'part', id: m.id, final: true });
            },
            (e) => {
              signals.delete(m.id);
              fail(m.id, e);
            },
          );
        return;
      }
    }
  });
}
