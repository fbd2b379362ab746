import { type Endpoint, proxy, type Remote, releaseProxy, transfer, wrap } from 'comlink';
import {
  type BackendInstance,
  coerceTensorData,
  configFromJson,
  configToJson,
  type ExecRequest,
  type ExecResult,
  type ExecutionBackend,
  type InstanceSpec,
  internal,
  invalidArg,
  type ModelSource,
  parameter,
  protocolType,
  serverError,
  type Tensor,
  type TypedArray,
  unavailable,
} from '../../core/index.ts';
import type { InitializeArgs, JsModelWorkerApi, WireRequest, WireResponse, WireTensor } from './protocol.ts';

/** A running worker as the platform provides it. */
export interface WorkerHandle {
  endpoint: Endpoint;
  /** Settles with a reason when the worker stops on its own (crash, exit). */
  exited: Promise<string>;
  terminate(): Promise<void>;
}

export interface JsBackendOptions {
  /** Starts a worker running the platform's model-worker entry point. */
  spawn(): WorkerHandle;
  /** A URL the worker can import the model from (file: URL on disk, else data:). */
  moduleUrl(source: ModelSource, file: string): Promise<string>;
  /** Milliseconds a call may take before the worker is restarted (0 = no limit); config parameter `execution_timeout_ms` wins. */
  executionTimeoutMs?: number;
}

interface Running {
  handle: WorkerHandle;
  api: Remote<JsModelWorkerApi>;
}

const fileOf = (source: ModelSource) => source.config.defaultModelFilename || 'model.js';

/**
 * Nereid's counterpart of Triton's Python backend: `backend: "js"` models are ES modules
 * (`<version>/model.js`) run in their own worker per instance, so a throwing model fails only
 * its request and a crashing or hanging one is restarted without taking the server down.
 */
export function jsBackend(opts: JsBackendOptions): ExecutionBackend {
  return {
    name: 'js',
    async autoComplete(source) {
      const url = await opts.moduleUrl(source, fileOf(source));
      const w = start(opts);
      try {
        const done = await race(w, w.api.autoComplete(url, configToJson(source.config)), timeoutOf(opts, source), source.name, 'autoCompleteConfig');
        const completed = configFromJson(done);
        Object.assign(source.config, completed, { name: source.config.name || completed.name });
      } finally {
        await stop(w);
      }
    },
    async createInstance(source, spec) {
      const instance = new JsInstance(opts, source, spec);
      await instance.start();
      return instance;
    },
  };
}

function start(opts: JsBackendOptions): Running {
  const handle = opts.spawn();
  return { handle, api: wrap<JsModelWorkerApi>(handle.endpoint) };
}

async function stop(w: Running): Promise<void> {
  w.api[releaseProxy]();
  await w.handle.terminate();
}

function timeoutOf(opts: JsBackendOptions, source: ModelSource): number {
  const p = parameter(source.config, 'execution_timeout_ms');
  return p !== undefined && /^\d+$/.test(p) ? Number(p) : (opts.executionTimeoutMs ?? 0);
}

/** Runs `call`, failing if the worker dies or the timeout passes first. */
async function race<T>(w: Running, call: Promise<T>, timeoutMs: number, model: string, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (timeoutMs > 0)
      timer = setTimeout(
        () => reject(serverError('UNAVAILABLE', `model '${model}': ${what} did not finish within ${timeoutMs} ms; its worker was restarted`)),
        timeoutMs,
      );
  });
  const died = w.handle.exited.then((reason) =>
    Promise.reject(serverError('INTERNAL', `model '${model}': its worker stopped during ${what} (${reason}) and will be restarted`)),
  );
  try {
    return await Promise.race([call, timeout, died]);
  } catch (e) {
    if ((e as { code?: string }).code === undefined) throw invalidArg(`model '${model}': ${what} failed: ${(e as Error).message}`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

class JsInstance implements BackendInstance {
  readonly device = 'js-worker';
  private worker?: Running;
  /** Set by dispose: a disposed instance never starts a worker again. */
  private disposed = false;
  /** Decoupled requests sent to the current worker that have not had their final response. */
  private readonly open = new Set<ExecRequest>();
  private readonly opts: JsBackendOptions;
  private readonly source: ModelSource;
  private readonly spec: InstanceSpec;

  constructor(opts: JsBackendOptions, source: ModelSource, spec: InstanceSpec) {
    this.opts = opts;
    this.source = source;
    this.spec = spec;
  }

  async start(): Promise<Running> {
    const w = start(this.opts);
    const args: InitializeArgs = {
      model_name: this.source.name,
      model_version: String(this.source.version),
      model_config: configToJson(this.source.config),
      model_instance_name: this.spec.name,
      model_instance_kind: `KIND_${this.spec.kind}`,
      model_instance_device_id: this.spec.deviceId,
      model_repository: this.source.localPath?.('')?.replace(/[\\/][^\\/]*[\\/]?$/, ''),
    };
    try {
      await race(
        w,
        w.api.load(await this.opts.moduleUrl(this.source, fileOf(this.source)), args),
        timeoutOf(this.opts, this.source),
        this.source.name,
        'initialize',
      );
    } catch (e) {
      await stop(w);
      throw e;
    }
    void w.handle.exited.then((reason) => {
      if (this.worker === w) {
        this.worker = undefined;
        this.source.log.error(`model '${this.source.name}' instance ${this.spec.name}: worker stopped (${reason}); restarting on the next request`);
      }
      this.failOpen(serverError('INTERNAL', `model '${this.source.name}': its worker stopped (${reason}) before the final response`));
    });
    this.worker = w;
    return w;
  }

  async execute(requests: ExecRequest[]) {
    if (this.disposed) throw unavailable(`model '${this.source.name}': instance ${this.spec.name} has been disposed`);
    const w = this.worker ?? (await this.start());
    const buffers: ArrayBuffer[] = [];
    const wire = requests.map((r) => toWire(r, buffers));
    const decoupled = requests.some((r) => r.respond);
    const respond = decoupled ? proxy((i: number, res: WireResponse | null, final: boolean) => this.deliver(requests[i], res, final)) : undefined;
    if (decoupled) for (const r of requests) this.open.add(r);
    let responses: WireResponse[];
    try {
      responses = await race(w, w.api.execute(transfer(wire, buffers), respond), timeoutOf(this.opts, this.source), this.source.name, 'execute');
    } catch (e) {
      if (decoupled) for (const r of requests) this.open.delete(r);
      if (this.worker === w && (e as { code?: string }).code !== 'INVALID_ARG') {
        this.worker = undefined;
        await stop(w);
      }
      throw e;
    }
    // Decoupled: results come through `respond`; these placeholders are ignored.
    if (decoupled) return { results: requests.map(() => ({ outputs: new Map<string, Tensor>() })) };
    if (responses.length !== requests.length) throw internal(`execute returned ${responses.length} responses for ${requests.length} requests`);
    return { results: responses.map((res, i) => fromWire(this.source, res, requests[i]!)) };
  }

  /** One response of a decoupled request, as the model sent it. */
  private deliver(req: ExecRequest | undefined, res: WireResponse | null, final: boolean): void {
    if (!req?.respond || !this.open.has(req)) return;
    if (final) this.open.delete(req);
    req.respond(res === null ? undefined : fromWire(this.source, res, req, true), final);
  }

  /** Ends every open decoupled request with `err` (the worker that would answer them is gone). */
  private failOpen(err: Error): void {
    const open = [...this.open];
    this.open.clear();
    for (const r of open) r.respond?.(err, true);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    await race(w, w.api.finalize(), 5000, this.source.name, 'finalize').catch((e) =>
      this.source.log.warn(`model '${this.source.name}': ${(e as Error).message}`),
    );
    await stop(w);
  }
}

/**
 * Request tensors ready to transfer. Each typed array is copied into a buffer of its own first:
 * the server may still need the original (an ensemble tensor read by two steps, a warmup sample
 * run on every instance), and transferring would detach it.
 */
function toWire(r: ExecRequest, buffers: ArrayBuffer[]): WireRequest {
  const inputs: Record<string, WireTensor> = {};
  for (const [name, t] of r.inputs) {
    let data = t.data;
    if (!Array.isArray(data)) {
      data = (data as TypedArray).slice() as TypedArray;
      buffers.push((data as TypedArray).buffer as ArrayBuffer);
    }
    inputs[name] = { datatype: t.datatype, shape: t.shape, data: data as WireTensor['data'] };
  }
  const parameters: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(r.parameters ?? {})) parameters[k] = typeof v === 'bigint' ? Number(v) : v;
  return { inputs, requested_outputs: r.outputs, parameters };
}

/** A response from the worker; `partial` (decoupled): it may carry any of the requested outputs. */
function fromWire(source: ModelSource, res: WireResponse, req: ExecRequest, partial = false): ExecResult | Error {
  if (res.error !== undefined) return invalidArg(`model '${source.name}' failed: ${res.error}`);
  const outputs = new Map<string, Tensor>();
  try {
    for (const name of req.outputs) {
      const w = res.outputs?.[name];
      if (!w && partial) continue;
      if (!w) throw invalidArg(`model '${source.name}' did not return output '${name}'`);
      const declared = source.config.output.find((o) => o.name === name);
      const datatype = w.datatype ?? (declared ? protocolType(declared.dataType) : undefined);
      if (!datatype) throw invalidArg(`model '${source.name}' returned output '${name}' without a datatype`);
      outputs.set(name, { datatype, shape: w.shape, data: coerceTensorData(datatype, w.shape, w.data, `model '${source.name}' output '${name}'`) });
    }
  } catch (e) {
    return e as Error;
  }
  return res.parameters ? { outputs, parameters: res.parameters } : { outputs };
}
