// Messages between a front-end thread (HTTP, gRPC) and the engine thread that owns the models.
// Tensor buffers travel transferred (moved, not copied); errors travel as their code and message.
import { type ErrorCode, type InferRequest, type InferResponse, isServerError, type LogSettingsView, type NamedTensor, serverError } from '../../core/index.ts';

/** The part of a MessagePort both worker_threads and the web have. */
export interface PortLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/**
 * `copied` on a request: the tensor bytes this front-end thread copied (decoding bodies, encoding
 * responses) since its last request, added to the engine's `nereid_tensor_bytes_copied_total`.
 */
export type ToEngine =
  | { t: 'call'; id: number; op: string; args: unknown[] }
  | { t: 'infer'; id: number; req: InferRequest; endpoint?: string; copied: number }
  | { t: 'stream'; id: number; req: InferRequest; copied: number }
  | { t: 'cancel'; id: number };

export interface WireError {
  code: ErrorCode;
  message: string;
}

export type FromEngine =
  | { t: 'ok'; id: number; value: unknown }
  | { t: 'err'; id: number; error: WireError }
  /** One response of a stream (or its error); `final` on the last. */
  | { t: 'part'; id: number; response?: InferResponse; error?: WireError; final: boolean }
  /** The log settings changed: every thread's logger follows. */
  | { t: 'log'; settings: LogSettingsView };

export const toWireError = (e: unknown): WireError =>
  isServerError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

export const fromWireError = (e: WireError): Error => serverError(e.code, e.message);

/** The buffers under a request's tensors, each once (views of one body share it). */
export function requestBuffers(req: InferRequest): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (t: { data: NamedTensor['data'] }) => {
    if (Array.isArray(t.data)) return;
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer) out.add(b);
  };
  for (const t of req.inputs) add(t);
  if (req.rawInput && req.rawInput.buffer instanceof ArrayBuffer) out.add(req.rawInput.buffer);
  return [...out];
}

/**
 * Makes a response's numeric outputs movable: an output that is the whole of its buffer is
 * transferred as it is; one that is a view of a larger buffer (a batch's slice, which other
 * responses share) is first cut out into its own buffer.
 */
export function movableResponse(res: InferResponse): ArrayBuffer[] {
  const moved = new Set<ArrayBuffer>();
  for (const o of res.outputs) {
    if (Array.isArray(o.data)) continue;
    const view = o.data;
    const b = view.buffer;
    if (b instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === b.byteLength && !moved.has(b)) {
      moved.add(b);
      continue;
    }
    const own = view.slice();
    o.data = own;
    moved.add(own.buffer as ArrayBuffer);
  }
  return [...moved];
}
