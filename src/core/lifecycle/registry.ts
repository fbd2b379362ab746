import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg, notFound } from '../errors.ts';
import type { ModelId } from '../model/model-version.ts';
import type { Repository } from '../repository/repository.ts';
import { splitQualified } from './lookup.ts';
import { newVersionRecord, type VersionRecord } from './version-state.ts';

/** Everything the server knows about one model identity (namespace, name). Written only by the registry. */
export interface ModelRecord {
  readonly id: ModelId;
  readonly key: string;
  /** Where its files come from: a repository, or a private store holding `file:` overrides. */
  readonly repo: Repository;
  /** Set when `repo` is a private override store that must be removed with the model. */
  readonly overrideStore: boolean;
  readonly versions: ReadonlyMap<number, VersionRecord>;
  /** A model-level failure (unreadable config, duplicate) shown without a version. */
  readonly error?: string;
  /** Config given through the load API; used until the model's files change. */
  readonly overrideConfig?: ModelConfig;
  /** Content fingerprint of the model directory when last loaded (change detection). */
  readonly fingerprint?: string;
  /** Loaded by name through the API or --load-model (not only as an ensemble dependency). */
  readonly explicit: boolean;
  /** For ensembles: step model name → record key of the composing model it is linked to. */
  readonly links?: ReadonlyMap<string, string>;
  /** Gone from its repository and about to be unloaded: ensembles must not link to it. */
  readonly leaving: boolean;
  /** Load attempts that failed (model or version), for metrics. */
  readonly loadFailures: number;
}

type Writable = { -readonly [K in keyof ModelRecord]: ModelRecord[K] } & { versions: Map<number, VersionRecord>; lock: Promise<unknown> };

export const modelKey = (namespace: string, name: string): string => `${namespace}::${name}`;

const w = (rec: ModelRecord) => rec as Writable;

/**
 * The one owner of model records: created, changed and forgotten only here, indexed by key and by
 * name so that a request finds its model without scanning the others.
 */
export class ModelRegistry {
  private readonly byKey = new Map<string, Writable>();
  private readonly byName = new Map<string, Set<Writable>>();
  /** Names whose every identifier was removed from the repositories (Triton's "global map" errors). */
  private readonly removed = new Set<string>();
  private readonly namespacing: boolean;

  constructor(namespacing: boolean) {
    this.namespacing = namespacing;
  }

  get(key: string): ModelRecord | undefined {
    return this.byKey.get(key);
  }

  all(): IterableIterator<ModelRecord> {
    return this.byKey.values();
  }

  /** Records named `name` (in any namespace, or the qualified one). */
  named(requested: string): ModelRecord[] {
    const { namespace, name } = splitQualified(requested);
    const set = this.byName.get(name);
    if (!set) return [];
    return [...set].filter((r) => namespace === undefined || r.id.namespace === namespace);
  }

  /** The record for (namespace, name), created (empty, unloaded) when new. */
  ensure(namespace: string, name: string, repo: Repository): ModelRecord {
    const key = modelKey(namespace, name);
    let rec = this.byKey.get(key);
    if (!rec) {
      rec = {
        id: { namespace, name },
        key,
        repo,
        overrideStore: false,
        versions: new Map(),
        explicit: false,
        leaving: false,
        loadFailures: 0,
        lock: Promise.resolve(),
      };
      this.byKey.set(key, rec);
      let set = this.byName.get(name);
      if (!set) this.byName.set(name, (set = new Set()));
      set.add(rec);
      this.removed.delete(name);
    }
    return rec;
  }

  /** Forgets a record; with `removed`, its name answers "not found in global map" once no copy is left. */
  delete(rec: ModelRecord, removed = false): void {
    this.byKey.delete(rec.key);
    const set = this.byName.get(rec.id.name);
    set?.delete(w(rec));
    if (set?.size === 0) this.byName.delete(rec.id.name);
    if (removed) this.removed.add(rec.id.name);
  }

  /** Resolves a (possibly qualified) request name to a record, with Triton's namespacing errors. */
  find(requested: string): ModelRecord {
    const { namespace, name } = splitQualified(requested);
    const known: ModelRecord[] = [];
    for (const r of this.byName.get(name) ?? []) if (r.versions.size > 0 && (namespace === undefined || r.id.namespace === namespace)) known.push(r);
    if (namespace !== undefined || !this.namespacing) {
      const rec = known[0];
      if (rec) return rec;
      if (this.namespacing && this.removed.has(name)) throw notFound(`Identifier of model '${requested}' is not found in global map`);
      throw notFound(`Request for unknown model: '${requested}' is not found`);
    }
    if (known.length === 1) return known[0]!;
    if (known.length > 1) {
      throw invalidArg(`There are ${known.length} identifiers of model '${name}' in global map, model namespace must be provided to resolve ambiguity.`);
    }
    if (this.removed.has(name)) throw notFound(`Identifier of model '${name}' is not found in global map`);
    throw invalidArg(`Request for unknown model: '${name}' is not found`);
  }

  // --- writers ------------------------------------------------------------------------------

  /** The version's record, created in state UNKNOWN when new. */
  version(rec: ModelRecord, v: number): VersionRecord {
    const versions = w(rec).versions;
    let vr = versions.get(v);
    if (!vr) versions.set(v, (vr = newVersionRecord()));
    return vr;
  }

  setRepository(rec: ModelRecord, repo: Repository, overrideStore = false): void {
    w(rec).repo = repo;
    w(rec).overrideStore = overrideStore;
  }

  setExplicit(rec: ModelRecord, explicit: boolean): void {
    w(rec).explicit = explicit;
  }

  setOverrideConfig(rec: ModelRecord, config: ModelConfig | undefined): void {
    w(rec).overrideConfig = config;
  }

  setError(rec: ModelRecord, error: string | undefined): void {
    w(rec).error = error;
  }

  setFingerprint(rec: ModelRecord, fingerprint: string | undefined): void {
    w(rec).fingerprint = fingerprint;
  }

  setLinks(rec: ModelRecord, links: ReadonlyMap<string, string> | undefined): void {
    w(rec).links = links;
  }

  setLeaving(rec: ModelRecord): void {
    w(rec).leaving = true;
  }

  countLoadFailure(rec: ModelRecord): void {
    w(rec).loadFailures++;
  }

  /** Back to "known but not loaded": no overrides, links, error or fingerprint. */
  reset(rec: ModelRecord): void {
    const r = w(rec);
    r.explicit = false;
    r.overrideConfig = undefined;
    r.fingerprint = undefined;
    r.error = undefined;
    r.links = undefined;
  }

  /** Runs `fn` after every earlier load or unload of the record has finished. */
  withLock<T>(rec: ModelRecord, fn: () => Promise<T>): Promise<T> {
    const r = w(rec);
    const run = r.lock.then(fn, fn);
    r.lock = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the record's pending loads and unloads have finished. */
  settled(rec: ModelRecord): Promise<unknown> {
    return w(rec).lock;
  }
}
