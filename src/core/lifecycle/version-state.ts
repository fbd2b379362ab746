import { internal } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';

/** Triton's model version states, as `POST /v2/repository/index` shows them. */
export type ModelState = 'UNKNOWN' | 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export const MODEL_STATES: readonly ModelState[] = ['UNKNOWN', 'LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'];

/**
 * Every state change a version may make. READY → READY is a reload: a new version swapped in, or a
 * failed reload recorded while the previous version keeps serving. UNAVAILABLE → UNAVAILABLE is a
 * version that failed again or was unloaded while already out of service.
 */
export const TRANSITIONS: Readonly<Record<ModelState, readonly ModelState[]>> = {
  UNKNOWN: ['LOADING', 'UNAVAILABLE'],
  LOADING: ['READY', 'UNAVAILABLE'],
  READY: ['READY', 'UNLOADING'],
  UNLOADING: ['UNAVAILABLE'],
  UNAVAILABLE: ['LOADING', 'UNAVAILABLE'],
};

/** One version of a model as the lifecycle tracks it. Change it only through `transition`. */
export interface VersionRecord {
  readonly state: ModelState;
  /** Why it is in this state (Triton's `<Code>: <message>`, `unloaded`, or a reload failure). */
  readonly reason: string;
  /** The loaded version serving requests: set exactly while the state is READY. */
  readonly serving?: ModelVersion;
}

export const newVersionRecord = (): VersionRecord => ({ state: 'UNKNOWN', reason: '' });

/**
 * Moves a version to `to`. READY takes the version that serves (the one already serving when
 * omitted); leaving READY drops it, and the caller retires what it returns. An illegal move is a
 * bug in the lifecycle and throws.
 */
export function transition(vr: VersionRecord, to: ModelState, reason = '', serving?: ModelVersion): ModelVersion | undefined {
  if (!TRANSITIONS[vr.state].includes(to)) throw internal(`model version cannot go from ${vr.state} to ${to}`);
  const w = vr as { state: ModelState; reason: string; serving?: ModelVersion };
  const previous = w.serving;
  if (to === 'READY') {
    const next = serving ?? previous;
    if (!next) throw internal('a READY model version needs a loaded version to serve');
    w.serving = next;
  } else {
    w.serving = undefined;
  }
  w.state = to;
  w.reason = reason;
  return previous !== w.serving ? previous : undefined;
}
