/** Messages between the server and an onnxruntime-node session running in its own thread. */
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

export type ToSession = { id: number; feeds: Record<string, ThreadTensor>; fetches?: string[] } | { id: number; release: true };

export type FromSession =
  | { ready: true }
  | { failed: string }
  | { id: number; outputs: Record<string, ThreadTensor> }
  | { id: number; error: string }
  | { id: number; released: true };
