import type { ExecutionBackend } from './backend/backend.ts';
import type { PlatformProviders, ProviderPreference } from './backend/providers.ts';
import { BackendRegistry } from './backend/registry.ts';
import { type Clock, realClock } from './clock.ts';
import { clientShape, protocolType } from './config/accessors.ts';
import type { ModelConfig } from './config/gen/model_config_pb.ts';
import { configToJson } from './config/json.ts';
import { internal, invalidArg, serverError, unavailable, unsupported } from './errors.ts';
import { type ControlMode, type IndexEntry, type LoadOptions, ModelManager } from './lifecycle/model-manager.ts';
import { startPoller } from './lifecycle/poller.ts';
import { type Logger, silentLogger } from './log.ts';
import { applyLogSettings, LOGGING_UNAVAILABLE, type LogSettingsUpdate, type LogSettingsView, logSettingsView } from './log-settings.ts';
import { LoadHistory } from './metrics/load-history.ts';
import { renderMetrics } from './metrics/server-metrics.ts';
import type { ModelVersion } from './model/model-version.ts';
import { requestPrefix } from './model/validate-request.ts';
import type { RepositoryDriver } from './repository/driver.ts';
import { Repository } from './repository/repository.ts';
import type { ServerApi } from './server-api.ts';
import type { InferRequest, InferResponse, ResponseSink } from './types.ts';
import { NEREID_VERSION } from './version.ts';

export { NEREID_VERSION } from './version.ts';

export const EXTENSIONS = [
  'classification',
  'sequence',
  'model_repository',
  'model_repository(unload_dependents)',
  'schedule_policy',
  'model_configuration',
  'binary_tensor_data',
  'parameters',
  'statistics',
] as const;

export interface RepositoryMount {
  driver: RepositoryDriver;
  /** Namespace under --model-namespacing (directory name, or NAME in NAME=DIR). */
  namespace?: string;
  /** How logs name it (path or URL). */
  label?: string;
}

export interface ServerOptions {
  /**
   * Server name reported by GET /v2 (--id).
   * @defaultValue 'nereid'
   */
  id?: string;
  /** The model repositories, each read through its driver (--model-repository, repeatable). */
  repositories: RepositoryMount[];
  /** The execution backends models may name (`backend` / `platform` in their config). */
  backends: ExecutionBackend[];
  /**
   * NONE loads everything at start and never changes; POLL follows the repositories; EXPLICIT
   * loads and unloads on request (--model-control-mode).
   * @defaultValue 'none'
   */
  controlMode?: ControlMode;
  /**
   * Models are named per repository namespace (--model-namespacing).
   * @defaultValue false
   */
  namespacing?: boolean;
  /**
   * Ready only when every model is ready (--strict-readiness).
   * @defaultValue true
   */
  strictReadiness?: boolean;
  /**
   * Fill in what a config leaves out from the model file (inverse of --disable-auto-complete-config).
   * @defaultValue true
   */
  autoComplete?: boolean;
  /**
   * EXPLICIT mode: models to load at startup ('*' = all) (--load-model).
   * @defaultValue [] (none)
   */
  startupModels?: string[];
  /**
   * `start()` rejects (and unloads everything) when a startup model fails to load (--exit-on-error).
   * @defaultValue true
   */
  exitOnError?: boolean;
  /**
   * Read `configs/<name>.pbtxt` in a model directory instead of `config.pbtxt` when it exists
   * (--model-config-name).
   * @defaultValue undefined (config.pbtxt)
   */
  configName?: string;
  /**
   * Models loaded in parallel (--model-load-thread-count).
   * @defaultValue 4
   */
  loadConcurrency?: number;
  /**
   * GPUs the platform has, for KIND_GPU / KIND_AUTO instance groups.
   * @defaultValue 0
   */
  gpuCount?: number;
  /**
   * CPU cores, for onnxruntime's defaults.
   * @defaultValue 1
   */
  cpuCount?: number;
  /**
   * Default instance count of KIND_CPU onnxruntime groups (1 where instances cannot run in parallel).
   * @defaultValue 2 (Triton's)
   */
  defaultCpuInstances?: number;
  /**
   * Where models run unless their config says (--execution-provider).
   * @defaultValue 'auto' (the platform's choice for each instance kind)
   */
  executionProvider?: ProviderPreference;
  /**
   * What the platform offers to backends that run on execution providers (onnxruntime).
   * @defaultValue undefined (no provider choice: backends get no provider list and use their own default)
   */
  providers?: PlatformProviders;
  /**
   * POLL mode: milliseconds between repository polls, counted from the end of the previous one
   * (--repository-poll-secs); 0 polls only when `manager.poll()` is called.
   * @defaultValue 15000
   */
  pollIntervalMs?: number;
  /**
   * Time for schedulers, timeouts, statistics and polling (tests pass a manual clock).
   * @defaultValue realClock (performance.now and setTimeout)
   */
  clock?: Clock;
  /**
   * Where the server logs.
   * @defaultValue silentLogger
   */
  log?: Logger;
  /**
   * Storage for models loaded with `file:` overrides (EXPLICIT load with files).
   * @defaultValue undefined (such loads are refused)
   */
  createOverrideStore?: () => Promise<RepositoryDriver>;
  /**
   * The JavaScript runtime the platform runs on, for `nereid_build_info` ('node', 'deno', 'browser').
   * @defaultValue 'unknown'
   */
  runtime?: string;
}

type ServerState = 'initializing' | 'ready' | 'exiting' | 'failed';

/**
 * The platform-free inference server: model lifecycle, inference and the KServe v2 operations.
 * Transports (HTTP, worker) call into it; platforms construct it with drivers and backends.
 */
export class InferenceServer implements ServerApi {
  readonly name: string;
  readonly manager: ModelManager;
  readonly log: Logger;
  readonly clock: Clock;
  private readonly backends = new BackendRegistry();
  private readonly loads = new LoadHistory();
  private state: ServerState = 'initializing';
  private inflight = 0;
  private idle?: () => void;
  private stopPolling?: () => void;
  private readonly logListeners = new Set<(view: LogSettingsView) => void>();

  private readonly opts: ServerOptions;

  constructor(opts: ServerOptions) {
    this.opts = opts;
    this.name = opts.id ?? 'nereid';
    this.log = opts.log ?? silentLogger;
    this.clock = opts.clock ?? realClock;
    for (const b of opts.backends) this.backends.register(b);
    const repositories = opts.repositories.map((r, i) => new Repository(r.namespace ?? `repository${i}`, r.driver, r.label ?? r.driver.name));
    const seen = new Set<string>();
    for (const r of repositories) {
      if (opts.namespacing && seen.has(r.namespace)) {
        throw invalidArg(`two model repositories have the namespace '${r.namespace}'; name them with --model-repository NAME=DIR`);
      }
      seen.add(r.namespace);
    }
    this.manager = new ModelManager({
      repositories,
      namespacing: opts.namespacing ?? false,
      mode: opts.controlMode ?? 'none',
      backends: this.backends,
      clock: this.clock,
      log: this.log,
      gpuCount: opts.gpuCount ?? 0,
      cpuCount: opts.cpuCount ?? 1,
      autoComplete: opts.autoComplete ?? true,
      configName: opts.configName,
      defaultCpuInstances: opts.defaultCpuInstances,
      executionProvider: opts.executionProvider ?? 'auto',
      providers: opts.providers,
      loadConcurrency: opts.loadConcurrency,
      createOverrideStore: opts.createOverrideStore,
      loads: this.loads,
    });
  }

  /** Loads the startup models. With exit-on-error (default) any failure rejects. */
  async start(): Promise<void> {
    const failures = await this.manager.startup(this.opts.startupModels ?? []);
    if (failures.length > 0) {
      // Each failure was logged where it happened (the lifecycle or the startup scan); the caller
      // reports the outcome once.
      if (this.opts.exitOnError ?? true) {
        this.state = 'failed';
        await this.manager.shutdown();
        throw internal(`failed to load all models`);
      }
    }
    this.state = 'ready';
    const interval = this.opts.pollIntervalMs ?? 15_000;
    if (this.manager.mode === 'poll' && interval > 0) this.stopPolling = startPoller(() => this.manager.poll(), this.clock, interval, this.log);
  }

  /**
   * Live from construction on, while startup models load too (a process restarted for loading
   * slowly would never finish); only a failed start makes it not live.
   */
  isLive(): boolean {
    return this.state !== 'failed';
  }

  isReady(): boolean {
    if (this.state !== 'ready') return false;
    return !(this.opts.strictReadiness ?? true) || this.manager.allModelsReady();
  }

  get exiting(): boolean {
    return this.state === 'exiting';
  }

  isExiting(): boolean {
    return this.state === 'exiting';
  }

  logSettings(update?: LogSettingsUpdate): LogSettingsView {
    const settings = this.log.settings;
    if (!settings) throw serverError('UNAVAILABLE', LOGGING_UNAVAILABLE);
    if (update) {
      applyLogSettings(settings, update);
      const view = logSettingsView(settings);
      for (const l of this.logListeners) l(view);
    }
    return logSettingsView(settings);
  }

  /** Calls `listener` after every change of the log settings (front-end threads keep theirs in step). */
  onLogSettings(listener: (view: LogSettingsView) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  metadata(): { name: string; version: string; extensions: string[] } {
    // The logging extension is served when the logger's settings can change while it runs.
    return { name: this.name, version: NEREID_VERSION, extensions: this.log.settings ? [...EXTENSIONS, 'logging'] : [...EXTENSIONS] };
  }

  modelMetadata(model: string, version?: string): Record<string, unknown> {
    return this.withVersion(model, version, (mv) => {
      const c = mv.config;
      const versions = version ? [String(mv.version)] : this.readyVersions(model);
      const io = (list: typeof c.input | typeof c.output) => list.map((t) => ({ name: t.name, datatype: protocolType(t.dataType), shape: clientShape(c, t) }));
      const meta: Record<string, unknown> = { name: mv.id.name, versions, platform: c.platform || c.backend, inputs: io(c.input), outputs: io(c.output) };
      if (Object.keys(mv.details).length > 0) meta.parameters = { ...mv.details };
      return meta;
    });
  }

  modelReady(model: string, version?: string): boolean {
    return this.withVersion(model, version, () => true);
  }

  modelConfig(model: string, version?: string): Record<string, unknown> {
    return this.withVersion(model, version, (mv) => configToJson(mv.config));
  }

  /** The completed config as the protobuf message (gRPC ModelConfig). */
  modelConfigMessage(model: string, version?: string): ModelConfig {
    return this.withVersion(model, version, (mv) => mv.config);
  }

  /** The version that serves `model` (a request naming none gets the latest ready one). */
  servingVersion(model: string, version?: string): string {
    return this.withVersion(model, version, (mv) => String(mv.version));
  }

  modelStats(model?: string, version?: string): { model_stats: Record<string, unknown>[] } {
    if (!model) {
      const all = [...this.manager.servingVersions()].sort((a, b) => (a.id.name === b.id.name ? a.version - b.version : a.id.name < b.id.name ? -1 : 1));
      return { model_stats: all.map((mv) => this.statsOf(mv)) };
    }
    let rec: ReturnType<ModelManager['find']>;
    try {
      rec = this.manager.find(model);
    } catch {
      throw invalidArg(`requested model '${model}' is not available`);
    }
    const serving = [...rec.versions.entries()].filter(([v, vr]) => vr.state === 'READY' && vr.serving && (!version || String(v) === version));
    if (serving.length === 0) {
      throw invalidArg(version ? `requested model version is not available for model '${model}'` : `requested model '${model}' is not available`);
    }
    return { model_stats: serving.sort((a, b) => a[0] - b[0]).map(([, vr]) => this.statsOf(vr.serving!)) };
  }

  private statsOf(mv: ModelVersion): Record<string, unknown> {
    const { name, ...rest } = mv.stats.toJson(mv.id.name, String(mv.version));
    return this.opts.namespacing ? { name, namespace: mv.id.namespace, ...rest } : { name, ...rest };
  }

  /**
   * One request, one response (HTTP /infer, gRPC ModelInfer). Decoupled models answer only on
   * streams: `endpoint` names the caller in Triton's refusal.
   */
  infer(req: InferRequest, endpoint = 'this end point'): Promise<InferResponse> {
    return this.serve(req, (mv) => {
      if (mv.decoupled) throw unsupported(`${endpoint} doesn't support models with decoupled transaction policy`);
      return mv.infer(req);
    });
  }

  /** Any model, any number of responses (gRPC ModelStreamInfer, generate_stream); resolves once the request is complete. */
  inferStream(req: InferRequest, sink: ResponseSink): Promise<void> {
    return this.serve(req, (mv) => mv.inferStream(req, sink));
  }

  /** Whether a model's version that would serve `req` is decoupled (streams must announce it up front). */
  isDecoupled(model: string, version?: string): boolean {
    return this.withVersion(model, version, (mv) => mv.decoupled);
  }

  private async serve<T>(req: InferRequest, run: (mv: ModelVersion) => Promise<T>): Promise<T> {
    const continuing = req.sequence !== undefined && !req.sequence.start;
    if (this.state === 'exiting' && !continuing) {
      throw unavailable(`${requestPrefix(req.id)}Server is stopping, scheduler for model has stopped accepting new inference requests`);
    }
    const mv = this.manager.acquire(req.model, req.version);
    this.inflight++;
    try {
      return await run(mv);
    } finally {
      mv.release();
      if (--this.inflight === 0) this.idle?.();
    }
  }

  /** Prometheus text for GET /metrics. */
  metrics(): string {
    return renderMetrics(this.manager, { build: { version: NEREID_VERSION, runtime: this.opts.runtime ?? 'unknown' }, loads: this.loads });
  }

  index(readyOnly = false): Promise<IndexEntry[]> {
    return this.manager.index(readyOnly);
  }

  load(model: string, opts?: LoadOptions): Promise<void> {
    this.assertNotExiting();
    return this.manager.load(model, opts);
  }

  unload(model: string, opts?: { unloadDependents?: boolean }): Promise<void> {
    this.assertNotExiting();
    return this.manager.unload(model, opts);
  }

  /** Requests currently being served. */
  get inflightCount(): number {
    return this.inflight;
  }

  /**
   * Graceful stop: readiness turns false at once, new requests are refused, in-flight requests
   * get up to `timeoutMs` to finish, then every model is unloaded.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'exiting') return;
    this.state = 'exiting';
    this.stopPolling?.();
    if (this.inflight > 0) {
      let timer: unknown;
      await Promise.race([new Promise<void>((r) => (this.idle = r)), new Promise<void>((r) => (timer = this.clock.setTimeout(r, timeoutMs)))]);
      this.clock.clearTimeout(timer);
      if (this.inflight > 0) this.log.warn(`Timeout ${Math.round(timeoutMs / 1000)}: Found ${this.inflight} in-flight inferences`);
    }
    await this.manager.shutdown();
    await this.backends.dispose();
  }

  private assertNotExiting(): void {
    if (this.state === 'exiting') throw serverError('UNAVAILABLE', 'Server exiting');
  }

  private withVersion<T>(model: string, version: string | undefined, fn: (mv: ModelVersion) => T): T {
    const mv = this.manager.acquire(model, version);
    try {
      return fn(mv);
    } finally {
      mv.release();
    }
  }

  private readyVersions(model: string): string[] {
    const rec = this.manager.find(model);
    return [...rec.versions.entries()]
      .filter(([, vr]) => vr.state === 'READY')
      .map(([v]) => v)
      .sort((a, b) => a - b)
      .map(String);
  }
}
