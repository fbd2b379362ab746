/**
 * What crosses the boundary between the server and a JavaScript model's worker. Tensors travel
 * as structured-clone data with their buffers transferred, never as JSON.
 */
import type { DataType } from '../../core/index.ts';

export type WireData = ArrayBufferView | Uint8Array[] | string[] | number[] | bigint[] | boolean[];

export interface WireTensor {
  datatype: DataType;
  shape: number[];
  data: WireData;
}

export interface WireRequest {
  inputs: Record<string, WireTensor>;
  /** Output names the server needs from this request. */
  requested_outputs: string[];
  parameters: Record<string, string | number | boolean>;
}

/** One response: outputs by name (datatype optional: the config's is used), or an error message. */
export interface WireResponse {
  outputs?: Record<string, Partial<WireTensor> & { shape: number[]; data: WireData }>;
  parameters?: Record<string, string | number | boolean>;
  error?: string;
}

/** The arguments `initialize(args)` receives (the names of Triton's Python backend). */
export interface InitializeArgs {
  model_name: string;
  model_version: string;
  model_config: unknown;
  model_instance_name: string;
  model_instance_kind: string;
  model_instance_device_id: number;
  /** The model's directory when the repository is on a local file system. */
  model_repository?: string;
}

/** Decoupled models: one response of request `index` of the current call (null: none, only the final flag). */
export type RespondFn = (index: number, response: WireResponse | null, final: boolean) => void | Promise<void>;

/** The API a model worker exposes (over comlink). */
export interface JsModelWorkerApi {
  load(url: string, args: InitializeArgs): Promise<void>;
  autoComplete(url: string, config: unknown): Promise<unknown>;
  /**
   * Runs `execute(requests)` of the model. With `respond` (decoupled models) each request gets a
   * `responseSender` whose responses go there, also after `execute` returned; the return value is
   * then ignored (an empty list comes back).
   */
  execute(requests: WireRequest[], respond?: RespondFn): Promise<WireResponse[]>;
  finalize(): Promise<void>;
}
