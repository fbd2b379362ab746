import type { ModelConfig } from '../config/accessors.ts';
import type { Logger } from '../log.ts';
import type { Parameters, Tensor } from '../types.ts';
import type { ProviderChoice } from './providers.ts';

/** One model version, as handed to an execution backend. */
export interface ModelSource {
  namespace: string;
  name: string;
  version: number;
  /** The completed configuration; `autoComplete` may still fill it. */
  config: ModelConfig;
  /** Reads a file relative to the version directory. */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads a file relative to the model directory (labels, warmup data, initial state). */
  readModelFile(path: string): Promise<Uint8Array>;
  /** A local file-system path for a version file, when the repository is on disk. */
  localPath?(path: string): string | undefined;
  /** For backends that use execution providers: where a CPU instance of this model would run (auto-complete reads the model there). */
  providers?: ProviderChoice;
  log: Logger;
}

export type DeviceKind = 'CPU' | 'GPU' | 'MODEL';

export interface InstanceSpec {
  /** Instance name, e.g. `add_sub_0_1` (group name + index within the group). */
  name: string;
  kind: DeviceKind;
  /** GPU device id for KIND_GPU. */
  deviceId: number;
  /** Suggested intra-op thread count so that all instances together use the machine's cores. */
  threads?: number;
  /** For backends that use execution providers: the core's choice for this instance (see providers.ts). */
  providers?: ProviderChoice;
}

/** One request as the backend sees it: inputs already validated and reshaped. */
export interface ExecRequest {
  inputs: Map<string, Tensor>;
  /** Output names to compute. */
  outputs: string[];
  parameters?: Parameters;
  /**
   * Decoupled models only: sends one response of this request (outputs, or an error), `final`
   * on the last. The request is complete once a final response was sent, which may be after
   * `execute` returned; the result `execute` returns for it is then ignored.
   */
  respond?(response: ExecResult | Error | undefined, final: boolean): void;
}

export interface ExecResult {
  outputs: Map<string, Tensor>;
  parameters?: Parameters;
}

/** Per-execution timings the backend may report (nanoseconds). */
export interface ExecTiming {
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

export interface ExecOutcome {
  /** One entry per request, in order: a result, or the error for that request alone. */
  results: (ExecResult | Error)[];
  timing?: ExecTiming;
}

export interface BackendInstance {
  /** Where it runs, e.g. `cpu`, `cuda:0`, `webgpu`, `wasm`; shown in metadata and logs. */
  readonly device: string;
  /** Why it runs there rather than on the preferred device, when it fell back. */
  readonly fallback?: string;
  /** Executes a batch of requests (one call may carry several). */
  execute(requests: ExecRequest[]): Promise<ExecOutcome>;
  dispose(): Promise<void>;
}

export interface ExecutionBackend {
  /** The config `backend` name this serves, e.g. `onnxruntime` or `js`. */
  readonly name: string;
  /** Runs on execution providers: the core chooses them for each instance (InstanceSpec.providers). */
  readonly usesProviders?: boolean;
  /** Fills missing config fields from the model file (inputs, outputs, max_batch_size). */
  autoComplete?(source: ModelSource): Promise<void>;
  createInstance(source: ModelSource, instance: InstanceSpec): Promise<BackendInstance>;
  /** Releases shared resources when the server stops. */
  dispose?(): Promise<void>;
}
