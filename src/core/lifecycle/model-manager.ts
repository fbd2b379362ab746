import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { codeLabel, invalidArg, notFound, serverError, toServerError, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { RepositoryDriver } from '../repository/driver.ts';
import { fingerprintModel } from '../repository/fingerprint.ts';
import { Repository } from '../repository/repository.ts';
import { mapLimit } from '../util/limit.ts';
import { findRecord, servingVersion, splitQualified } from './lookup.ts';
import { type LoaderContext, loadVersion, planModel } from './model-loader.ts';
import { type ModelRecord, modelKey, type VersionRecord, withLock } from './records.ts';

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
 * Model lifecycle and control modes: which models exist, which versions serve, and how they are
 * loaded, reloaded (atomically: the old version serves until the new one is READY) and unloaded.
 */
export class ModelManager {
  private readonly records = new Map<string, ModelRecord>();
  private readonly removed = new Set<string>();
  private polling?: Promise<void>;
  private stopped = false;

  private readonly opts: ManagerOptions;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
  }

  get mode(): ControlMode {
    return this.opts.mode;
  }

  /** Startup: NONE/POLL load everything; EXPLICIT loads `startupModels` ('*' = all). Returns failures. */
  async startup(startupModels: string[] = []): Promise<string[]> {
    const scan = await this.scan();
    const failures: string[] = [];
    let targets: ScanEntry[] = [];
    if (this.opts.mode !== 'explicit' || startupModels.includes('*')) targets = [...scan.values()];
    else {
      for (const wanted of startupModels) {
        const found = this.matchScan(scan, wanted);
        if (found.length === 0) failures.push(`failed to load '${wanted}', failed to poll from model repository: no model directory named '${wanted}'`);
        targets.push(...found);
      }
    }
    await mapLimit(targets, this.opts.loadConcurrency ?? 4, async (entry) => {
      if (entry.repos.length > 1) {
        failures.push(`failed to poll model '${entry.name}': not unique across all model repositories`);
        return;
      }
      const rec = this.record(entry.namespace, entry.name, entry.repos[0]!);
      rec.explicit = true;
      try {
        await this.loadRecord(rec);
      } catch (e) {
        failures.push(toServerError(e).message);
      }
    });
    return failures;
  }

  /** The load API (EXPLICIT mode only). */
  async load(requested: string, opts: LoadOptions = {}): Promise<void> {
    if (this.opts.mode !== 'explicit') throw unavailable(NOT_ALLOWED);
    const { namespace, name } = splitQualified(requested);
    checkModelName(name);
    if (opts.files && opts.files.size > 0 && !opts.config) {
      throw invalidArg(`failed to load '${requested}': a 'config' parameter is required when 'file:' overrides are given`);
    }
    const scan = await this.scan();
    let entries = this.matchScan(scan, requested);
    if (entries.length === 0) {
      if (!(opts.files && opts.files.size > 0)) {
        throw notFound(`failed to load '${requested}', failed to poll from model repository: no model directory named '${name}'`);
      }
      const repo = this.opts.repositories.find((r) => namespace === undefined || r.namespace === namespace);
      entries = [{ namespace: repo?.namespace ?? namespace ?? '', name, repos: [] }];
    }
    for (const entry of entries) {
      if (entry.repos.length > 1) throw serverError('INTERNAL', `failed to load '${requested}', failed to poll from model repository: ${DUPLICATE}`);
    }
    await Promise.all(entries.map(async (entry) => {
      const rec = this.record(entry.namespace, entry.name, entry.repos[0]);
      rec.explicit = true;
      if (opts.config) rec.overrideConfig = opts.config;
      if (opts.files && opts.files.size > 0) await this.useOverrideFiles(rec, opts.files);
      const changed = opts.config !== undefined || (await this.changed(rec));
      if (!changed && this.allReady(rec)) return;
      await this.loadRecord(rec, true);
    }));
  }

  /** The unload API (EXPLICIT mode only). Unknown names are a no-op, as in Triton. */
  async unload(requested: string, opts: { unloadDependents?: boolean } = {}): Promise<void> {
    if (this.opts.mode !== 'explicit') throw unavailable(NOT_ALLOWED);
    void opts;
    const { namespace, name } = splitQualified(requested);
    const recs = [...this.records.values()].filter((r) => r.id.name === name && (namespace === undefined || r.id.namespace === namespace));
    await Promise.all(recs.map((rec) => this.unloadRecord(rec)));
  }

  /** Looks up a servable version and takes a reference; the caller must `release()` it. */
  acquire(requested: string, version?: string): ModelVersion {
    const rec = findRecord(this.records.values(), requested, { namespacing: this.opts.namespacing, removed: this.removed });
    const mv = servingVersion(rec, requested, version);
    mv.acquire();
    return mv;
  }

  /** Record of a model for metadata (any state). */
  find(requested: string): ModelRecord {
    return findRecord(this.records.values(), requested, { namespacing: this.opts.namespacing, removed: this.removed });
  }

  /** All serving versions (statistics, metrics). */
  *servingVersions(): Generator<ModelVersion> {
    for (const rec of this.records.values()) {
      for (const vr of rec.versions.values()) if (vr.state === 'READY' && vr.serving) yield vr.serving;
    }
  }

  /** Strict readiness: every version known to the lifecycle is READY or unloaded. */
  allModelsReady(): boolean {
    for (const rec of this.records.values()) {
      if (rec.error) return false;
      for (const vr of rec.versions.values()) {
        if (vr.state === 'READY') continue;
        if (vr.state === 'UNAVAILABLE' && vr.reason === 'unloaded') continue;
        return false;
      }
    }
    return true;
  }

  /** POST /v2/repository/index. */
  async index(readyOnly: boolean): Promise<IndexEntry[]> {
    const scan = await this.scan();
    const keys = new Set([...scan.keys(), ...[...this.records.values()].filter((r) => r.overrideStore).map((r) => r.key)]);
    const entries: IndexEntry[] = [];
    const ns = (namespace: string) => (this.opts.namespacing ? { namespace } : {});
    const sorted = [...keys].map((k) => ({ k, s: scan.get(k), r: this.records.get(k) })).sort((a, b) => {
      const an = a.s?.namespace ?? a.r!.id.namespace;
      const bn = b.s?.namespace ?? b.r!.id.namespace;
      const aname = a.s?.name ?? a.r!.id.name;
      const bname = b.s?.name ?? b.r!.id.name;
      return an === bn ? (aname < bname ? -1 : aname > bname ? 1 : 0) : an < bn ? -1 : 1;
    });
    for (const { s, r } of sorted) {
      const name = s?.name ?? r!.id.name;
      const namespace = s?.namespace ?? r!.id.namespace;
      if (s && s.repos.length > 1) {
        if (!readyOnly) entries.push({ name, ...ns(namespace), state: 'UNAVAILABLE', reason: DUPLICATE });
        continue;
      }
      const versions = r ? [...r.versions.entries()].sort((a, b) => a[0] - b[0]) : [];
      if (r?.error && !readyOnly) entries.push({ name, ...ns(namespace), state: 'UNAVAILABLE', reason: r.error });
      if (versions.length === 0 && !r?.error) {
        if (!readyOnly) entries.push({ name, ...ns(namespace) });
        continue;
      }
      for (const [v, vr] of versions) {
        if (readyOnly && vr.state !== 'READY') continue;
        const e: IndexEntry = { name, ...ns(namespace), version: String(v), state: vr.state };
        if (vr.reason) e.reason = vr.reason;
        entries.push(e);
      }
    }
    return entries;
  }

  /** One POLL pass: load added, reload changed, unload removed models. Never overlaps itself. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = this.pollOnce().finally(() => (this.polling = undefined));
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
    await mapLimit([...scan.values()], this.opts.loadConcurrency ?? 4, async (entry) => {
      const key = modelKey(entry.namespace, entry.name);
      const rec = this.records.get(key);
      if (entry.repos.length > 1) {
        if (rec && rec.versions.size > 0) await this.unloadRecord(rec);
        return;
      }
      const target = this.record(entry.namespace, entry.name, entry.repos[0]);
      if (rec && rec.repo === entry.repos[0] && !(await this.changed(target))) return;
      target.repo = entry.repos[0]!;
      await this.loadRecord(target).catch((e) => this.opts.log.error(toServerError(e).message));
    });
    for (const rec of [...this.records.values()]) {
      if (scan.has(rec.key) || rec.overrideStore) continue;
      await this.unloadRecord(rec);
      this.records.delete(rec.key);
      this.removed.add(rec.id.name);
    }
  }

  /** Unloads every model (server shutdown). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.polling;
    await Promise.all([...this.records.values()].map((r) => this.unloadRecord(r)));
  }

  // ---------------------------------------------------------------------------------------------

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
    const key = modelKey(namespace, name);
    let rec = this.records.get(key);
    if (!rec) {
      if (!repo) repo = new Repository(namespace, emptyDriver, '(none)');
      rec = { id: { namespace, name }, key, repo, versions: new Map(), explicit: false, lock: Promise.resolve() };
      this.records.set(key, rec);
      this.removed.delete(name);
    }
    return rec;
  }

  private async useOverrideFiles(rec: ModelRecord, files: Map<string, Uint8Array>): Promise<void> {
    if (!this.opts.createOverrideStore) throw invalidArg(`'file:' overrides are not supported by this server`);
    const store = await this.opts.createOverrideStore();
    for (const [path, data] of files) await store.write!(`${rec.id.name}/${path}`, data);
    if (rec.overrideStore) await rec.repo.driver.remove?.('');
    rec.repo = new Repository(rec.id.namespace, store, `override of ${rec.id.name}`);
    rec.overrideStore = true;
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
    return [...rec.versions.values()].some((v) => v.state === 'READY') && [...rec.versions.values()].every((v) => v.state === 'READY' || v.reason === 'unloaded');
  }

  /**
   * Loads or reloads a model's versions. A version that already serves keeps serving until its
   * replacement is READY; on failure it keeps serving and the reason is recorded.
   */
  private loadRecord(rec: ModelRecord, explicitApi = false): Promise<void> {
    return withLock(rec, async () => {
      const display = rec.id.name;
      let fingerprint: string | undefined;
      let plan;
      try {
        fingerprint = await fingerprintModel(rec.repo.driver, rec.id.name);
        plan = await planModel(this.opts, rec.repo, rec.id.name, rec.overrideConfig);
      } catch (e) {
        const err = toServerError(e);
        rec.fingerprint = undefined;
        if (!this.hasServing(rec)) rec.error = reasonOf(err);
        this.opts.log.error(`failed to load '${display}': ${err.message}`);
        const code = err.code === 'NOT_FOUND' ? 'NOT_FOUND' : err.code === 'INTERNAL' ? 'INTERNAL' : 'INVALID_ARG';
        throw serverError(code, `failed to load '${display}', failed to poll from model repository: ${err.message}`);
      }
      rec.error = undefined;
      const failures: string[] = [];
      await Promise.all(plan.versions.map(async (v) => {
        const vr = this.versionRecord(rec, v);
        const previous = vr.serving;
        if (!previous) {
          vr.state = 'LOADING';
          vr.reason = '';
        }
        try {
          const mv = await loadVersion(this.opts, rec.repo, rec.id, plan, v);
          vr.serving = mv;
          vr.state = 'READY';
          vr.reason = '';
          this.opts.log.info(`successfully loaded '${display}' version ${v}${mv.details.device ? ` on ${mv.details.device}` : ''}`);
          if (previous) void previous.retire();
        } catch (e) {
          const reason = reasonOf(toServerError(e));
          if (previous) vr.reason = `reload failed, previous version keeps serving: ${reason}`;
          else {
            vr.state = 'UNAVAILABLE';
            vr.reason = reason;
          }
          failures.push(`version ${v} is at ${previous ? 'READY state (reload failed)' : 'UNAVAILABLE state'}: ${reason};`);
          this.opts.log.error(`failed to load '${display}' version ${v}: ${reason}`);
        }
      }));
      for (const [v, vr] of rec.versions) {
        if (!plan.versions.includes(v) && vr.serving) await this.retireVersion(vr);
      }
      rec.fingerprint = failures.length > 0 ? undefined : fingerprint;
      if (failures.length > 0) {
        const msg = `load failed for model '${display}': ${failures.join('\n')}\n`;
        throw explicitApi ? invalidArg(msg) : invalidArg(msg.trimEnd());
      }
    });
  }

  private unloadRecord(rec: ModelRecord): Promise<void> {
    return withLock(rec, async () => {
      rec.explicit = false;
      rec.overrideConfig = undefined;
      rec.fingerprint = undefined;
      rec.error = undefined;
      await Promise.all([...rec.versions.values()].map((vr) => this.retireVersion(vr)));
      if (rec.overrideStore) {
        await rec.repo.driver.remove?.('').catch(() => undefined);
        await rec.repo.driver.dispose?.();
        rec.overrideStore = false;
        this.records.delete(rec.key);
      }
      this.opts.log.info(`successfully unloaded '${rec.id.name}'`);
    });
  }

  private async retireVersion(vr: VersionRecord): Promise<void> {
    const serving = vr.serving;
    if (!serving) return;
    vr.serving = undefined;
    vr.state = 'UNLOADING';
    vr.reason = '';
    await serving.retire();
    vr.state = 'UNAVAILABLE';
    vr.reason = 'unloaded';
  }

  private versionRecord(rec: ModelRecord, v: number): VersionRecord {
    let vr = rec.versions.get(v);
    if (!vr) {
      vr = { state: 'UNKNOWN', reason: '' };
      rec.versions.set(v, vr);
    }
    return vr;
  }

  private hasServing(rec: ModelRecord): boolean {
    return [...rec.versions.values()].some((v) => v.serving);
  }
}

/** Triton's reason text: "<Code>: <message>". */
function reasonOf(err: { code: keyof typeof codeLabel; message: string }): string {
  return `${codeLabel[err.code]}: ${err.message}`;
}

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

