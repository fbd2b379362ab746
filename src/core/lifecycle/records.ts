import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import type { ModelId, ModelVersion } from '../model/model-version.ts';
import type { Repository } from '../repository/repository.ts';

export type ModelState = 'UNKNOWN' | 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export interface VersionRecord {
  state: ModelState;
  reason: string;
  /** The version currently serving requests (READY), possibly while a replacement loads. */
  serving?: ModelVersion;
}

/** Everything the manager knows about one model identity (namespace, name). */
export interface ModelRecord {
  id: ModelId;
  key: string;
  /** Where its files come from: a repository, or a private store holding `file:` overrides. */
  repo: Repository;
  versions: Map<number, VersionRecord>;
  /** A model-level failure (unreadable config, duplicate) shown without a version. */
  error?: string;
  /** Config given through the load API; used until the model's files change. */
  overrideConfig?: ModelConfig;
  /** Set when `repo` is a private override store that must be removed with the model. */
  overrideStore?: boolean;
  /** Content fingerprint of the model directory when last loaded (POLL change detection). */
  fingerprint?: string;
  /** Loaded by name through the API or --load-model (not only as an ensemble dependency). */
  explicit: boolean;
  /** For ensembles: step model name → record key of the composing model it is linked to. */
  links?: Map<string, string>;
  /** Removed from its repository and about to be unloaded: ensembles must not link to it. */
  leaving?: boolean;
  /** Load attempts that failed (model or version), for metrics. */
  loadFailures?: number;
  /** Serialises load/unload of this model. */
  lock: Promise<unknown>;
}

export const modelKey = (namespace: string, name: string): string => `${namespace}::${name}`;

/** Runs `fn` after every earlier operation on the record has finished. */
export function withLock<T>(rec: ModelRecord, fn: () => Promise<T>): Promise<T> {
  const run = rec.lock.then(fn, fn);
  rec.lock = run.catch(() => undefined);
  return run;
}
