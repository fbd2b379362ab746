import { Histogram } from '../stats/histogram.ts';

/** Load-time buckets in seconds (10 ms .. 10 min). */
export const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** How one load attempt of a model version (or of a model, before any version could be read) ended. */
export interface LoadOutcome {
  ok: boolean;
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** When it ended, wall-clock milliseconds since the epoch. */
  endedAtMs: number;
}

/** What the lifecycle reports about loads (the metrics keep the last one per version). */
export interface LoadRecorder {
  /**
   * A load attempt of model record `key`: `version` undefined for a failure before any version
   * could be read (unreadable or invalid config), which a later successful read clears.
   */
  record(key: string, version: number | undefined, outcome: LoadOutcome): void;
  /** The model's config was read: a model-level failure recorded before no longer applies. */
  planned(key: string): void;
}

/** Model-level entries (no version) are kept under this key. */
export const MODEL_LEVEL = '';

/** The last load of every model version and a per-model histogram of load times, for /metrics. */
export class LoadHistory implements LoadRecorder {
  private readonly last = new Map<string, Map<string, LoadOutcome>>();
  private readonly times = new Map<string, Histogram>();

  record(key: string, version: number | undefined, outcome: LoadOutcome): void {
    let versions = this.last.get(key);
    if (!versions) this.last.set(key, (versions = new Map()));
    versions.set(version === undefined ? MODEL_LEVEL : String(version), outcome);
    let h = this.times.get(key);
    if (!h) this.times.set(key, (h = new Histogram(LOAD_BUCKETS)));
    h.observe(outcome.durationMs / 1000);
  }

  planned(key: string): void {
    this.last.get(key)?.delete(MODEL_LEVEL);
  }

  /** Last outcome per version ('' = model level) of a model record. */
  lastLoads(key: string): ReadonlyMap<string, LoadOutcome> {
    return this.last.get(key) ?? new Map();
  }

  loadTimes(key: string): Histogram | undefined {
    return this.times.get(key);
  }

  /** Forgets models that are no longer known (removed from their repository). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.last.keys()]) if (!keys.has(key)) this.last.delete(key);
    for (const key of [...this.times.keys()]) if (!keys.has(key)) this.times.delete(key);
  }
}
