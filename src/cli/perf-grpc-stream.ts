import type { Sample, SequenceFlags } from '../tools/perf/index.ts';
import type { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../transports/grpc/gen/grpc_service_pb.ts';
import type { BidiStream, InferenceClient } from './grpc-client.ts';
import { grpcErrorLine, withSequence } from './perf-grpc-messages.ts';

type Check = (res: ModelInferResponse) => string | undefined;

interface Pending {
  t0: number;
  send: number;
  recv: number;
  detail?: string;
  check: Check;
  decoupled: boolean;
  resolve: (s: Sample) => void;
}

/**
 * `nereid perf -i grpc --streaming`: requests over ModelStreamInfer, one stream per lane (one per
 * concurrent client; rate mode sends everything on one stream), each opened on first use and
 * reopened after it fails. Every request gets its own `id`, and responses find their request by
 * it (the oldest outstanding one when a response names none; a response naming no outstanding
 * request is dropped). A request completes at the response that carries `triton_final_response:
 * true` (for an ordinary model, its one response); its latency runs to that response, and every
 * response with outputs is validated. `error_message` makes it an error sample.
 */
export class StreamLanes {
  readonly #client: InferenceClient;
  readonly #address: string;
  readonly #lanes = new Map<number, Lane>();
  #nextId = 0;

  constructor(client: InferenceClient, address: string) {
    this.#client = client;
    this.#address = address;
  }

  send(lane: number, base: ModelInferRequest, seq: SequenceFlags | undefined, check: Check, decoupled: boolean): Promise<Sample> {
    let l = this.#lanes.get(lane);
    if (!l || l.closed) {
      l = new Lane(this.#client, this.#address);
      this.#lanes.set(lane, l);
    }
    const t0 = performance.now();
    const req = { ...withSequence(base, seq), id: String(++this.#nextId) };
    return l.send(req, { t0, send: performance.now() - t0, recv: 0, check, decoupled });
  }

  /** Half-closes every stream (the server ends each once its requests are answered). */
  close(): void {
    for (const l of this.#lanes.values()) l.end();
    this.#lanes.clear();
  }
}

class Lane {
  closed = false;
  readonly #call: BidiStream<ModelInferRequest, ModelStreamInferResponse>;
  readonly #pending = new Map<string, Pending>();
  readonly #address: string;

  constructor(client: InferenceClient, address: string) {
    this.#address = address;
    this.#call = client.modelStreamInfer();
    void this.#read();
  }

  send(req: ModelInferRequest, p: Omit<Pending, 'resolve'>): Promise<Sample> {
    return new Promise((resolve) => {
      const pending = { ...p, resolve };
      this.#pending.set(req.id, pending);
      this.#call.write(req).catch((e: Error) => {
        if (this.#pending.get(req.id) === pending) this.#finish(req.id, pending, 'error', `stream closed: ${e.message}`);
      });
    });
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.#call.end();
  }

  async #read(): Promise<void> {
    let why = 'the server ended the stream';
    try {
      for await (const r of this.#call) this.#onResponse(r);
    } catch (e) {
      why = `stream failed: ${grpcErrorLine(this.#address, e)}`;
    }
    this.end();
    for (const [id, p] of this.#pending) this.#finish(id, p, 'error', why);
  }

  #onResponse(r: ModelStreamInferResponse): void {
    const res = r.inferResponse;
    const named = res?.id ?? '';
    const key = named === '' ? this.#pending.keys().next().value : this.#pending.has(named) ? named : undefined;
    const p = key === undefined ? undefined : this.#pending.get(key);
    if (key === undefined || !p) return;
    if (r.errorMessage) {
      this.#finish(key, p, 'error', r.errorMessage);
      return;
    }
    if (res && res.outputs.length > 0) {
      const t = performance.now();
      p.detail ??= p.check(res);
      p.recv += performance.now() - t;
    }
    const final = res?.parameters.triton_final_response?.parameterChoice;
    if (!p.decoupled || (final?.case === 'boolParam' && final.value)) this.#finish(key, p, p.detail ? 'invalid' : 'ok', p.detail);
  }

  #finish(id: string, p: Pending, outcome: Sample['outcome'], detail: string | undefined): void {
    this.#pending.delete(id);
    p.resolve({ latency: performance.now() - p.t0, send: p.send, recv: p.recv, outcome, detail });
  }
}
