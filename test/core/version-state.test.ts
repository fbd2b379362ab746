import { describe, expect, it } from 'vitest';
import { MODEL_STATES, type ModelState, newVersionRecord, transition, TRANSITIONS, type VersionRecord } from '../../src/core/lifecycle/version-state.ts';
import type { ModelVersion } from '../../src/core/model/model-version.ts';

const fakeVersion = (n: number) => ({ version: n }) as unknown as ModelVersion;

/** A version record brought to `state` through legal moves only. */
function at(state: ModelState): VersionRecord {
  const vr = newVersionRecord();
  const path: Record<ModelState, ModelState[]> = {
    UNKNOWN: [],
    LOADING: ['LOADING'],
    READY: ['LOADING', 'READY'],
    UNLOADING: ['LOADING', 'READY', 'UNLOADING'],
    UNAVAILABLE: ['LOADING', 'UNAVAILABLE'],
  };
  for (const s of path[state]) transition(vr, s, '', s === 'READY' ? fakeVersion(1) : undefined);
  return vr;
}

describe('version state machine', () => {
  it('allows exactly the moves in the table and refuses the rest', () => {
    for (const from of MODEL_STATES) {
      for (const to of MODEL_STATES) {
        const vr = at(from);
        const move = () => transition(vr, to, 'why', to === 'READY' ? fakeVersion(2) : undefined);
        if (TRANSITIONS[from].includes(to)) {
          move();
          expect(vr.state).toBe(to);
          expect(vr.reason).toBe('why');
        } else {
          expect(move, `${from} → ${to}`).toThrow(`model version cannot go from ${from} to ${to}`);
          expect(vr.state).toBe(from);
        }
      }
    }
  });

  it('serving is set exactly while READY; a swap returns the version it replaces', () => {
    const vr = newVersionRecord();
    const v1 = fakeVersion(1);
    const v2 = fakeVersion(2);
    transition(vr, 'LOADING');
    expect(transition(vr, 'READY', '', v1)).toBeUndefined();
    expect(vr.serving).toBe(v1);
    expect(transition(vr, 'READY', 'reload failed, previous version keeps serving: x')).toBeUndefined();
    expect(vr.serving).toBe(v1);
    expect(transition(vr, 'READY', '', v2)).toBe(v1);
    expect(vr.serving).toBe(v2);
    expect(transition(vr, 'UNLOADING')).toBe(v2);
    expect(vr.serving).toBeUndefined();
    transition(vr, 'UNAVAILABLE', 'unloaded');
    expect(vr).toEqual({ state: 'UNAVAILABLE', reason: 'unloaded', serving: undefined });
  });

  it('READY needs a version to serve', () => {
    const vr = at('LOADING');
    expect(() => transition(vr, 'READY')).toThrow('a READY model version needs a loaded version to serve');
  });
});
