/**
 * The steps of the backend contract (test/contract/backend-contract.ts) over one execution
 * backend, with plain, structured-clone-safe values in and out, so that the same steps run in
 * this process, in a child process (backend-exit.ts) and in a browser worker
 * (backend-browser-runner.ts). No vitest here: the expectations stay in the contract.
 */
import { completeBackendFields, normalizeConfig } from '../../src/core/config/complete.ts';
import { validateConfig } from '../../src/core/config/validate.ts';
import {
  type BackendInstance,
  coerceTensorData,
  type DataType,
  type ExecRequest,
  type ExecutionBackend,
  type ModelSource,
  notFound,
  parseConfigText,
  type ProviderChoice,
  protocolType,
  silentLogger,
  type Tensor,
} from '../../src/core/index.ts';

/** The contract's two models: FP32 add/sub and BYTES add/sub of decimal integers (Triton's simple and simple_string). */
export type ContractModel = 'addsub' | 'strings';
/** Elements per row of every input and output. */
export const WIDTH = 16;
/** max_batch_size of the contract's configs. */
export const MAX_BATCH = 8;

/**
 * The config every backend gets for a model: INPUT0, INPUT1 → OUTPUT0 = INPUT0 + INPUT1,
 * OUTPUT1 = INPUT0 - INPUT1, rows of WIDTH, batched. `bare` leaves the tensors and batching to
 * auto-complete.
 */
export function contractConfig(model: ContractModel, backend: string, bare = false): string {
  if (bare) return `backend: "${backend}"\n`;
  const t = model === 'addsub' ? 'TYPE_FP32' : 'TYPE_STRING';
  const io = (names: string[]) => names.map((n) => `{ name: "${n}" data_type: ${t} dims: [ ${WIDTH} ] }`).join(', ');
  return `backend: "${backend}"
max_batch_size: ${MAX_BATCH}
input [ ${io(['INPUT0', 'INPUT1'])} ]
output [ ${io(['OUTPUT0', 'OUTPUT1'])} ]
instance_group [ { count: 1 kind: KIND_CPU } ]
`;
}

/** A tensor as plain data: numbers, or each BYTES element as its byte values. */
export interface PlainTensor {
  datatype: DataType;
  shape: number[];
  data: number[] | number[][];
}

export interface PlainRequest {
  inputs: Record<string, PlainTensor>;
  outputs: string[];
}

export interface PlainError {
  code?: string;
  message: string;
}

export type PlainResult = { outputs: Record<string, PlainTensor> } | { error: PlainError };

/** What one `execute` call gave: a result or error per request, or a rejection of the whole call. */
export type ExecuteReply = { results: PlainResult[] } | { rejected: PlainError };

export interface TensorInfo {
  name: string;
  datatype: DataType | undefined;
  dims: number[];
}

export interface IOSummary {
  maxBatchSize: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface OpenOptions {
  /** Instances created at once on the model version (as the loader does for an instance group). */
  instances?: number;
  /** Start from a bare config that the backend's auto-complete fills. */
  autoComplete?: boolean;
}

/** Session creations the subject saw, where it can observe them. */
export interface CreationStats {
  count: number;
  /** The most creations in progress at one time. */
  maxInFlight: number;
}

/** The contract's steps over one backend (every method's values survive structured cloning). */
export interface BackendHarness {
  /** Auto-completes a bare config for `model` and reports what it filled. */
  autoComplete(model: ContractModel): Promise<IOSummary>;
  /** Creates instances of `model` at once; their ids. */
  open(model: ContractModel, options?: OpenOptions): Promise<{ ids: number[]; devices: string[] }>;
  execute(id: number, requests: PlainRequest[]): Promise<ExecuteReply>;
  dispose(id: number): Promise<{ ok: true } | { rejected: PlainError }>;
  creations(): Promise<CreationStats | undefined>;
  /** Disposes what is still open, then the backend. */
  close(): Promise<void>;
}

/** One backend as this process has it: how to make it, the files of each model, where it runs. */
export interface LocalSubject {
  backend(): ExecutionBackend;
  /** The files of a version directory holding `model` for this backend (e.g. `model.onnx`). */
  files(model: ContractModel): Record<string, Uint8Array | string>;
  /** The execution providers instances get (backends that use them). */
  providers?: ProviderChoice;
  /** Session creations seen so far, where the subject instruments them. */
  creations?(): CreationStats;
}

const plainError = (e: unknown): PlainError => ({ code: (e as { code?: string }).code, message: (e as Error).message ?? String(e) });

export function toTensor(p: PlainTensor): Tensor {
  const data = p.datatype === 'BYTES' ? (p.data as number[][]).map((b) => Uint8Array.from(b)) : p.data;
  return { datatype: p.datatype, shape: p.shape, data: coerceTensorData(p.datatype, p.shape, data, 'contract input') };
}

export function fromTensor(t: Tensor): PlainTensor {
  const data = t.datatype === 'BYTES' ? (t.data as Uint8Array[]).map((b) => Array.from(b)) : Array.from(t.data as ArrayLike<number | bigint>, Number);
  return { datatype: t.datatype, shape: [...t.shape], data };
}

const toExec = (r: PlainRequest): ExecRequest => ({ inputs: new Map(Object.entries(r.inputs).map(([n, t]) => [n, toTensor(t)])), outputs: [...r.outputs] });

/** The harness over a backend in this process: sources built as the loader builds them. */
export function localHarness(subject: LocalSubject): BackendHarness {
  const backend = subject.backend();
  const instances = new Map<number, BackendInstance>();
  let nextId = 0;
  let nextModel = 0;

  const source = async (model: ContractModel, autoComplete: boolean): Promise<ModelSource> => {
    const name = `${model}_${nextModel++}`;
    const files = subject.files(model);
    const read = async (p: string) => {
      const f = files[p];
      if (f === undefined) throw notFound(`no file '${p}' in model '${name}'`);
      return typeof f === 'string' ? new TextEncoder().encode(f) : f;
    };
    const config = parseConfigText(contractConfig(model, backend.name, autoComplete));
    completeBackendFields(config, name, Object.keys(files));
    normalizeConfig(config, { gpuCount: 0 });
    const src: ModelSource = {
      namespace: '',
      name,
      version: 1,
      config,
      readFile: read,
      readModelFile: (p) => Promise.reject(notFound(`no file '${p}' in the directory of model '${name}'`)),
      providers: subject.providers,
      log: silentLogger,
    };
    if (autoComplete) {
      if (!backend.autoComplete) throw new Error(`backend '${backend.name}' has no auto-complete`);
      await backend.autoComplete(src);
    }
    normalizeConfig(config, { gpuCount: 0 });
    validateConfig(config, { gpuCount: 0 });
    return src;
  };

  return {
    async autoComplete(model) {
      const { config } = await source(model, true);
      const info = (t: { name: string; dataType: number; dims: bigint[] }): TensorInfo => ({
        name: t.name,
        datatype: protocolType(t.dataType),
        dims: t.dims.map(Number),
      });
      return { maxBatchSize: config.maxBatchSize, inputs: config.input.map(info), outputs: config.output.map(info) };
    },
    async open(model, options = {}) {
      const src = await source(model, options.autoComplete ?? false);
      const n = options.instances ?? 1;
      const created = await Promise.all(
        Array.from({ length: n }, (_, k) =>
          backend.createInstance(src, { name: `${src.name}_0_${k}`, kind: 'CPU', deviceId: 0, threads: 1, providers: subject.providers }),
        ),
      );
      const ids = created.map((inst) => {
        const id = nextId++;
        instances.set(id, inst);
        return id;
      });
      return { ids, devices: created.map((i) => i.device) };
    },
    async execute(id, requests) {
      const inst = instances.get(id);
      if (!inst) throw new Error(`no instance ${id}`);
      try {
        const outcome = await inst.execute(requests.map(toExec));
        return {
          results: outcome.results.map((r) =>
            'outputs' in r ? { outputs: Object.fromEntries([...r.outputs].map(([n, t]) => [n, fromTensor(t)])) } : { error: plainError(r) },
          ),
        };
      } catch (e) {
        return { rejected: plainError(e) };
      }
    },
    async dispose(id) {
      const inst = instances.get(id);
      if (!inst) throw new Error(`no instance ${id}`);
      try {
        await inst.dispose();
        return { ok: true };
      } catch (e) {
        return { rejected: plainError(e) };
      }
    },
    async creations() {
      return subject.creations?.();
    },
    async close() {
      const all = [...instances.values()];
      instances.clear();
      // Instances the contract disposed already are disposed again here: that must be harmless.
      await Promise.allSettled(all.map((i) => i.dispose()));
      await backend.dispose?.();
    },
  };
}

/**
 * Wraps a session-creating function so the subject can report how many creations overlapped
 * (onnxruntime-web must never initialise twice at once).
 */
export function countCreations<A extends unknown[], R>(create: (...args: A) => Promise<R>): { create: (...args: A) => Promise<R>; stats(): CreationStats } {
  const stats: CreationStats = { count: 0, maxInFlight: 0 };
  let inFlight = 0;
  return {
    async create(...args) {
      stats.count++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
      try {
        return await create(...args);
      } finally {
        inFlight--;
      }
    },
    stats: () => ({ ...stats }),
  };
}
