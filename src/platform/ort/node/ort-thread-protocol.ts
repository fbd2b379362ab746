/** Messages between the server and an onnxruntime-node thread: a session's own thread, or the shared probe thread. */
import type { InferenceSession } from 'onnxruntime-common';

/** A tensor as it crosses threads: its data buffer is transferred, never serialized. */
export interface ThreadTensor {
  type: string;
  data: ArrayBufferView | string[];
  dims: readonly number[];
}

export interface SessionInit {
  model: string | Uint8Array;
  options: InferenceSession.SessionOptions;
}

/** What a thread starts as: one instance's session, or the probe thread (which times runs of any model). */
export type ThreadInit = SessionInit | { probe: true };

/**
 * Asks the probe thread to create a session, time up to `runs` runs of `feeds` (stopping early once a
 * run takes at most `fastMs`, or once the runs so far took more than `budgetMs`), and release it.
 */
export interface ProbeRequest extends SessionInit {
  id: number;
  feeds: Record<string, ThreadTensor>;
  runs: number;
  fastMs: number;
  budgetMs: number;
}

export type ToSession = { id: number; feeds: Record<string, ThreadTensor>; fetches?: string[] } | { id: number; release: true };

export type FromSession =
  | { ready: true }
  | { failed: string }
  | { id: number; outputs: Record<string, ThreadTensor> }
  | { id: number; error: string }
  | { id: number; released: true }
  /** A probe's run times (ms), measured inside the thread around each `run`. */
  | { id: number; ms: number[] };
