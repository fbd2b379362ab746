import type { BackendInstance, ExecRequest, ExecResult } from '../backend/backend.ts';
import type { Clock } from '../clock.ts';
import { elapsedNs } from '../clock.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { type ModelSpec, modelSpec } from '../config/model-spec.ts';
import { internal, serverError, toServerError } from '../errors.ts';
import type { Scheduler } from '../scheduling/scheduler.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import type { InferRequest, InferResponse, NamedTensor, ResponseSink, Tensor } from '../types.ts';
import { classify } from './classification.ts';
import { reshapeInputs, restoreOutput } from './reshape.ts';
import { checkRequest, requestPrefix } from './validate-request.ts';

export interface ModelId {
  namespace: string;
  name: string;
}

export interface ModelVersionInit {
  id: ModelId;
  version: number;
  config: ModelConfig;
  /** Normalised from `config` when not given. */
  spec?: ModelSpec;
  labels: Map<string, string[]>;
  instances: BackendInstance[];
  scheduler: Scheduler;
  stats: ModelStats;
  clock: Clock;
  /** Extra per-version details for metadata (execution provider, fallback reason). */
  details?: Record<string, string>;
}

/**
 * One loaded, servable model version. Requests hold a reference while in flight; a retired
 * version releases its instances only after the last reference is dropped.
 */
export class ModelVersion {
  readonly id: ModelId;
  readonly version: number;
  readonly config: ModelConfig;
  /** The config in plain numbers, as the request path reads it. */
  readonly spec: ModelSpec;
  readonly stats: ModelStats;
  readonly details: Record<string, string>;
  private readonly init: ModelVersionInit;
  private refs = 0;
  private retired?: Promise<void>;
  private released?: () => void;

  constructor(init: ModelVersionInit) {
    this.init = init;
    this.id = init.id;
    this.version = init.version;
    this.config = init.config;
    this.spec = init.spec ?? modelSpec(init.config);
    this.stats = init.stats;
    this.details = init.details ?? {};
  }

  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.released) this.released();
  }

  get inFlight(): number {
    return this.refs;
  }

  /** Stops scheduling and disposes instances once no request holds this version. */
  retire(): Promise<void> {
    this.retired ??= (async () => {
      if (this.refs > 0) await new Promise<void>((r) => (this.released = r));
      await this.init.scheduler.stop();
      await Promise.allSettled(this.init.instances.map((i) => i.dispose()));
    })();
    return this.retired;
  }

  /** Whether the model may send any number of responses per request (model_transaction_policy). */
  get decoupled(): boolean {
    return this.config.modelTransactionPolicy?.decoupled === true;
  }

  /**
   * Any model, any number of responses: each goes to `sink` as it is ready; resolves once the
   * request is complete (its final response sent), rejects when it fails as a whole.
   */
  async inferStream(req: InferRequest, sink: ResponseSink): Promise<void> {
    if (!this.decoupled) {
      sink.send(await this.infer(req), true);
      return;
    }
    const { clock } = this.init;
    const start = clock.now();
    let final = false;
    let ended!: { resolve: () => void; reject: (e: Error) => void };
    const complete = new Promise<void>((resolve, reject) => (ended = { resolve, reject }));
    try {
      const checked = checkRequest(this.spec, req);
      const exec: ExecRequest = {
        inputs: reshapeInputs(this.spec, checked.inputs as Map<string, Tensor>),
        outputs: checked.outputs,
        parameters: req.parameters,
        respond: (r, last) => {
          if (final) return;
          final = last;
          let out: InferResponse | Error | undefined;
          try {
            out = r === undefined ? undefined : r instanceof Error ? toServerError(r) : this.response(req, checked.outputs, r, true);
          } catch (e) {
            out = toServerError(e);
          }
          sink.send(out, last);
          if (last) ended.resolve();
        },
      };
      req.signal?.addEventListener('abort', () => ended.reject(serverError('CANCELLED', `${requestPrefix(req.id)}request cancelled`)), { once: true });
      await Promise.race([
        this.init.scheduler.enqueue({
          exec,
          batchSize: this.spec.batching ? checked.batchSize : 1,
          id: req.id,
          signal: req.signal,
          priority: req.priority,
          timeoutUs: req.timeoutUs,
          sequence: req.sequence,
        }),
        complete,
      ]);
      await complete;
      this.stats.recordSuccess(
        { totalNs: elapsedNs(start, clock.now()), queueNs: 0, inputNs: 0, inferNs: 0, outputNs: 0 },
        this.spec.batching ? checked.batchSize : 1,
        clock.wallNow(),
      );
    } catch (e) {
      final = true;
      this.stats.recordFailure(elapsedNs(start, clock.now()));
      throw toServerError(e);
    }
  }

  async infer(req: InferRequest): Promise<InferResponse> {
    const { clock } = this.init;
    const start = clock.now();
    try {
      const checked = checkRequest(this.spec, req);
      const exec: ExecRequest = {
        inputs: reshapeInputs(this.spec, checked.inputs as Map<string, Tensor>),
        outputs: checked.outputs,
        parameters: req.parameters,
      };
      const r = await this.init.scheduler.enqueue({
        exec,
        batchSize: this.spec.batching ? checked.batchSize : 1,
        id: req.id,
        signal: req.signal,
        priority: req.priority,
        timeoutUs: req.timeoutUs,
        sequence: req.sequence,
      });
      const res = this.response(req, checked.outputs, r.result, false);
      const end = clock.now();
      this.stats.recordSuccess(
        { totalNs: elapsedNs(start, end), queueNs: r.queueNs, inputNs: r.inputNs, inferNs: r.inferNs, outputNs: r.outputNs },
        this.spec.batching ? checked.batchSize : 1,
        clock.wallNow(),
      );
      return res;
    } catch (e) {
      this.stats.recordFailure(elapsedNs(start, clock.now()));
      throw toServerError(e);
    }
  }

  /** A backend result as the client's response: requested outputs (reshaped, classified), id, parameters. */
  private response(req: InferRequest, names: string[], result: ExecResult, partial: boolean): InferResponse {
    const outputs = this.responseOutputs(req, partial ? names.filter((n) => result.outputs.has(n)) : names, result.outputs);
    const res: InferResponse = { model_name: this.id.name, model_version: String(this.version), outputs };
    if (req.id) res.id = req.id;
    const params = { ...req.parameters, ...result.parameters };
    if (Object.keys(params).length > 0) res.parameters = params;
    return res;
  }

  private responseOutputs(req: InferRequest, names: string[], produced: Map<string, Tensor>): NamedTensor[] {
    const classes = new Map((req.outputs ?? []).map((o) => [o.name, o.classification]));
    return names.map((name) => {
      const t = produced.get(name);
      if (!t) throw internal(`model '${this.id.name}' did not produce output '${name}'`);
      const out = restoreOutput(this.spec, name, t);
      const k = classes.get(name);
      return { name, ...(k ? classify(out, k, this.spec.batching, this.init.labels.get(name)) : out) };
    });
  }
}
