import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg, notFound, serverError, toServerError, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { RepositoryDriver } from '../repository/driver.ts';
import { fingerprintModel } from '../repository/fingerprint.ts';
import { Repository } from '../repository/repository.ts';
import { mapLimit } from '../util/limit.ts';
import { DependencyGraph, serving } from './dependency-graph.ts';
import { Lifecycle } from './lifecycle.ts';
import { servingVersion, splitQualified } from './lookup.ts';
import type { LoaderContext } from './model-loader.ts';
import { type ModelRecord, ModelRegistry, modelKey } from './registry.ts';

export type ControlMode = 'none' | 'poll' | 'explicit';

export interface ManagerOptions extends LoaderContext {
  repositories: Repository[];
  namespacing: boolean;
  mode: ControlMode;
  /** Parallel model loads (--model-load-thread-count). */
  loadConcurrency?: number;
  /** A fresh private, writable store for `file:` overrides (never inside a repository). */
  createOverrideStore?: () => Promise<RepositoryDriver>;
}

export interface IndexEntry {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
  namespace?: string;
}

export interface LoadOptions {
  /** JSON config override (the load API's `config` parameter, already parsed). */
  config?: ModelConfig;
  /** `file:` overrides: path inside the model directory → contents. */
  files?: Map<string, Uint8Array>;
}

const DUPLICATE = 'model appears in two or more repositories';
const NOT_ALLOWED = 'explicit model load / unload is not allowed if polling is enabled';

interface ScanEntry {
  namespace: string;
  name: string;
  repos: Repository[];
}

/**
 * Model control: which models exist in the repositories, and what NONE, POLL and EXPLICIT mode
 * do with them. Loading and unloading themselves are the Lifecycle's job.
 */
export class ModelManager {
  private readonly opts: ManagerOptions;
  private readonly registry: ModelRegistry;
  private readonly graph: DependencyGraph;
  private readonly life: Lifecycle;
  private polling?: Promise<void>;
  private stopped = false;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.registry = new ModelRegistry(opts.namespacing);
    this.graph = new DependencyGraph(this.registry, opts.namespacing);
    this.life = new Lifecycle(opts, this.registry, this.graph, (name, chain) => this.ensureLoaded(name, chain));
  }

  get mode(): ControlMode {
    return this.opts.mode;
  }

  /** Startup: NONE/POLL load everything; EXPLICIT loads `startupModels` ('*' = all). Returns failures. */
  async startup(startupModels: string[] = []): Promise<string[]> {
    const scan = await this.scan();
    const failures: string[] = [];
    const fail = (msg: string) => {
      this.opts.log.error(msg);
      failures.push(msg);
    };
    let targets: ScanEntry[] = [];
    if (this.opts.mode !== 'explicit' || startupModels.includes('*')) targets = [...scan.values()];
    else {
      for (const wanted of startupModels) {
        const found = this.matchScan(scan, wanted);
        if (found.length === 0) fail(`failed to load '${wanted}', failed to poll from model repository: no model directory named '${wanted}'`);
        targets.push(...found);
      }
    }
    for (const entry of targets) {
      if (entry.repos.length === 1) this.registry.setExplicit(this.record(entry.namespace, entry.name, entry.repos[0]), true);
    }
    await mapLimit(targets, this.opts.loadConcurrency ?? 4, async (entry) => {
      if (entry.repos.length > 1) {
        fail(`failed to poll model '${entry.name}': not unique across all model repositories`);
        return;
      }
      try {
        await this.life.loadRecord(this.record(entry.namespace, entry.name, entry.repos[0]), { onlyIfChanged: true });
      } catch (e) {
        failures.push(toServerError(e).message); // the lifecycle has logged why
      }
    });
    return failures;
  }

  /** The load API (EXPLICIT mode only). Loading an ensemble loads its composing models. */
  async load(requested: string, opts: LoadOptions = {}): Promise<void> {
    if (this.opts.mode !== 'explicit') throw unavailable(NOT_ALLOWED);
    const { namespace, name } = splitQualified(requested);
    checkModelName(name);
    const hasFiles = opts.files !== undefined && opts.files.size > 0;
    if (hasFiles && !opts.config) throw invalidArg(`failed to load '${requested}': a 'config' parameter is required when 'file:' overrides are given`);
    const scan = await this.scan();
    await this.dropVanished(scan, requested);
    let entries = this.matchScan(scan, requested);
    if (entries.length === 0) {
      if (!hasFiles) throw notFound(`failed to load '${requested}', failed to poll from model repository: no model directory named '${name}'`);
      const repo = this.opts.repositories.find((r) => namespace === undefined || r.namespace === namespace);
      entries = [{ namespace: this.opts.namespacing ? (repo?.namespace ?? namespace ?? '') : '', name, repos: [] }];
    }
    if (entries.some((e) => e.repos.length > 1)) {
      throw serverError('INTERNAL', `failed to load '${requested}', failed to poll from model repository: ${DUPLICATE}`);
    }
    await Promise.all(
      entries.map(async (entry) => {
        const rec = this.record(entry.namespace, entry.name, entry.repos[0]);
        this.registry.setExplicit(rec, true);
        if (opts.config) this.registry.setOverrideConfig(rec, opts.config);
        if (hasFiles) await this.useOverrideFiles(rec, opts.files!);
        const changed = opts.config !== undefined || hasFiles || (await this.changed(rec));
        if (!changed && this.allReady(rec)) {
          // An unchanged ensemble still polls its composing models: new ones load and re-link it.
          for (const step of rec.links?.keys() ?? []) await this.ensureLoaded(step, new Set([rec.key]));
          return;
        }
        if (changed && !opts.config && !rec.overrideStore) this.registry.setOverrideConfig(rec, undefined);
        await this.life.loadRecord(rec, { api: true });
      }),
    );
    await this.life.relinkEnsembles();
  }

  /** The unload API (EXPLICIT mode only). Unknown names are a no-op, as in Triton. */
  async unload(requested: string, opts: { unloadDependents?: boolean } = {}): Promise<void> {
    if (this.opts.mode !== 'explicit') throw unavailable(NOT_ALLOWED);
    const recs = this.registry.named(requested);
    const composing = new Set<string>();
    for (const rec of recs) for (const key of rec.links?.values() ?? []) composing.add(key);
    await Promise.all(recs.map((rec) => this.life.unloadRecord(rec)));
    if (opts.unloadDependents) await this.unloadUnusedComposing(composing);
  }

  /** Composing models that were only loaded for ensembles and no longer serve any. */
  private async unloadUnusedComposing(keys: Set<string>): Promise<void> {
    for (const key of keys) {
      const rec = this.registry.get(key);
      if (!rec || rec.explicit || this.graph.dependentsOf(key).length > 0) continue;
      const next = new Set(rec.links?.values() ?? []);
      await this.life.unloadRecord(rec);
      await this.unloadUnusedComposing(next);
    }
  }

  /** Looks up a servable version and takes a reference; the caller must `release()` it. */
  acquire(requested: string, version?: string): ModelVersion {
    const mv = servingVersion(this.find(requested), requested, version);
    mv.acquire();
    return mv;
  }

  /** Record of a model for metadata (any state). */
  find(requested: string): ModelRecord {
    return this.registry.find(requested);
  }

  /** All serving versions (statistics, metrics). */
  *servingVersions(): Generator<ModelVersion> {
    for (const rec of this.registry.all()) {
      for (const vr of rec.versions.values()) if (vr.state === 'READY' && vr.serving) yield vr.serving;
    }
  }

  /** Every known model with its version states and load failures (metrics). */
  modelRecords(): Iterable<ModelRecord> {
    return this.registry.all();
  }

  /** Strict readiness: every version known to the lifecycle is READY or unloaded. */
  allModelsReady(): boolean {
    for (const rec of this.registry.all()) {
      if (rec.error) return false;
      for (const vr of rec.versions.values()) {
        if (vr.state === 'READY') continue;
        if (vr.state === 'UNAVAILABLE' && vr.reason === 'unloaded') continue;
        return false;
      }
    }
    return true;
  }

  /** POST /v2/repository/index: every model directory (and uploaded model), sorted by (namespace, name). */
  async index(readyOnly: boolean): Promise<IndexEntry[]> {
    const scan = await this.scan();
    const rows = new Map<string, { namespace: string; name: string; duplicate: boolean }>();
    for (const [key, s] of scan) rows.set(key, { namespace: s.namespace, name: s.name, duplicate: s.repos.length > 1 });
    for (const r of this.registry.all()) if (r.overrideStore && !rows.has(r.key)) rows.set(r.key, { ...r.id, duplicate: false });
    const sorted = [...rows.entries()].sort(([, a], [, b]) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
    const entries: IndexEntry[] = [];
    for (const [key, row] of sorted) {
      const base: IndexEntry = this.opts.namespacing ? { name: row.name, namespace: row.namespace } : { name: row.name };
      if (row.duplicate) {
        if (!readyOnly) entries.push({ ...base, state: 'UNAVAILABLE', reason: DUPLICATE });
        continue;
      }
      const rec = this.registry.get(key);
      if (rec?.error && !readyOnly) entries.push({ ...base, state: 'UNAVAILABLE', reason: rec.error });
      const versions = rec ? [...rec.versions.entries()].sort((a, b) => a[0] - b[0]) : [];
      if (versions.length === 0 && !rec?.error && !readyOnly) entries.push(base);
      for (const [v, vr] of versions) {
        if (readyOnly && vr.state !== 'READY') continue;
        entries.push({ ...base, version: String(v), state: vr.state, ...(vr.reason ? { reason: vr.reason } : {}) });
      }
    }
    return entries;
  }

  /** One POLL pass: load added, reload changed, unload removed models. Never overlaps itself. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped) return;
    let scan: Map<string, ScanEntry>;
    try {
      scan = await this.scan();
    } catch (e) {
      this.opts.log.error(`failed to poll model repository: ${toServerError(e).message}`);
      return;
    }
    const leaving = [...this.registry.all()].filter((r) => !scan.has(r.key) && !r.overrideStore);
    if (leaving.length > 0) await this.retireRecords(leaving);
    await mapLimit([...scan.values()], this.opts.loadConcurrency ?? 4, async (entry) => {
      const rec = this.registry.get(modelKey(entry.namespace, entry.name));
      if (entry.repos.length > 1) {
        if (rec && serving(rec)) await this.life.unloadRecord(rec);
        return;
      }
      const target = this.record(entry.namespace, entry.name, entry.repos[0]);
      this.registry.setRepository(target, entry.repos[0]!);
      await this.life.loadRecord(target, { onlyIfChanged: true }).catch(() => undefined); // the lifecycle has logged why
    });
    await this.life.relinkEnsembles();
  }

  /** Unloads every model (server shutdown). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.polling;
    await Promise.all([...this.registry.all()].map((r) => this.life.unloadRecord(r)));
  }

  // ---------------------------------------------------------------------------------------------

  /** Loads composing models named `name` that are not serving yet (in every namespace that has one). */
  private async ensureLoaded(step: string, chain: ReadonlySet<string>): Promise<void> {
    const scan = await this.scan();
    if (this.opts.mode === 'explicit') await this.dropVanished(scan, step);
    await Promise.all(
      this.matchScan(scan, step).map(async (entry) => {
        if (entry.repos.length > 1) return;
        const rec = this.record(entry.namespace, entry.name, entry.repos[0]);
        await this.registry.settled(rec);
        if (this.opts.mode !== 'explicit' && rec.versions.size > 0) return;
        await this.life.loadRecord(rec, { onlyIfChanged: true, chain });
      }),
    );
  }

  /**
   * Copies of `requested` (in any namespace, or the qualified one) whose directories are gone from
   * the repositories: ensembles relink away from them, then they unload once their in-flight
   * requests finish (EXPLICIT mode re-reads what it loads).
   */
  private async dropVanished(scan: Map<string, ScanEntry>, requested: string): Promise<void> {
    const gone = this.registry.named(requested).filter((r) => !r.overrideStore && !r.leaving && !scan.has(r.key));
    if (gone.length === 0) return;
    await this.retireRecords(gone);
  }

  /** Takes records out of service: relink ensembles away from them, unload them, forget them. */
  private async retireRecords(recs: ModelRecord[]): Promise<void> {
    for (const rec of recs) this.registry.setLeaving(rec);
    await this.life.relinkEnsembles();
    for (const rec of recs) {
      await this.life.unloadRecord(rec);
      this.registry.delete(rec, true);
    }
  }

  private async scan(): Promise<Map<string, ScanEntry>> {
    const out = new Map<string, ScanEntry>();
    for (const repo of this.opts.repositories) {
      const namespace = this.opts.namespacing ? repo.namespace : '';
      for (const name of await repo.listModels()) {
        const key = modelKey(namespace, name);
        const entry = out.get(key) ?? { namespace, name, repos: [] };
        entry.repos.push(repo);
        out.set(key, entry);
      }
    }
    return out;
  }

  private matchScan(scan: Map<string, ScanEntry>, requested: string): ScanEntry[] {
    const { namespace, name } = splitQualified(requested);
    return [...scan.values()].filter((e) => e.name === name && (namespace === undefined || e.namespace === namespace));
  }

  private record(namespace: string, name: string, repo: Repository | undefined): ModelRecord {
    return this.registry.ensure(namespace, name, repo ?? new Repository(namespace, emptyDriver, '(none)'));
  }

  private async useOverrideFiles(rec: ModelRecord, files: Map<string, Uint8Array>): Promise<void> {
    if (!this.opts.createOverrideStore) throw invalidArg(`'file:' overrides are not supported by this server`);
    const store = await this.opts.createOverrideStore();
    for (const [path, data] of files) await store.write!(`${rec.id.name}/${path}`, data);
    if (rec.overrideStore) await rec.repo.driver.remove?.('');
    this.registry.setRepository(rec, new Repository(rec.id.namespace, store, `override of ${rec.id.name}`), true);
  }

  private async changed(rec: ModelRecord): Promise<boolean> {
    try {
      return (await fingerprintModel(rec.repo.driver, rec.id.name)) !== rec.fingerprint;
    } catch {
      return true;
    }
  }

  private allReady(rec: ModelRecord): boolean {
    if (rec.error || rec.versions.size === 0) return false;
    const vs = [...rec.versions.values()];
    return vs.some((v) => v.state === 'READY') && vs.every((v) => v.state === 'READY' || v.reason === 'unloaded');
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Name checks of the load API. */
export function checkModelName(name: string): void {
  if (name.trim() === '') throw invalidArg('Model name cannot be empty. Please enter a valid name to deploy.');
  if (name === '..' || name === '.' || name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw invalidArg(`invalid model name '${name}', model name must not contain path traversal characters`);
  }
}

const emptyDriver: RepositoryDriver = {
  name: 'empty',
  list: async () => [],
  stat: async () => null,
  read: async (p) => {
    throw notFound(`file '${p}' not found`);
  },
};
