import type { InferenceSession } from 'onnxruntime-common';
import {
  type BackendInstance,
  checkModelIO,
  countCopied,
  EXECUTION_PROVIDERS,
  type OrtRuntimeName,
  type ProviderName,
  RuntimeRegistry,
  completeFromModelIO,
  type ExecOutcome,
  type ExecRequest,
  type ExecutionBackend,
  type InstanceSpec,
  invalidArg,
  mergeInputs,
  type ModelIO,
  type ModelSource,
  parameter,
  splitOutputs,
  type TensorSpec,
  unavailable,
} from '../../core/index.ts';
import { fromOrt, type OrtTensorCtor, ortTypeToDataType, toOrt } from './convert.ts';

type ProviderConfig = InferenceSession.ExecutionProviderConfig;

/** What differs between onnxruntime-node and onnxruntime-web. */
export interface OrtRuntime {
  Tensor: OrtTensorCtor;
  createSession(model: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession>;
  /** Intra-op threads for a session. */
  threads(spec: InstanceSpec): number;
  /** Creates a model instance's session, when that differs from `createSession` (e.g. in its own thread). */
  createInstanceSession?(model: string | Uint8Array, options: InferenceSession.SessionOptions, source: ModelSource): Promise<InferenceSession>;
  /** Releases what the runtime holds (probe threads, ...) when the server stops. */
  dispose?(): Promise<void>;
}

const now = () => performance.now();
const ns = (ms: number) => Math.round(ms * 1e6);

/** The runtimes an `onnxruntime` backend can use, each loaded on first use (once). */
export type OrtRuntimes = Partial<Record<OrtRuntimeName, () => Promise<OrtRuntime>>>;

/** The cheapest provider of each runtime: where a model is opened just to read its tensors. */
const READER: Record<OrtRuntimeName, ProviderName> = { native: 'cpu', web: 'wasm' };

/** The session option for a provider on an instance (CUDA takes the instance's device). */
const providerConfig = (p: ProviderName, spec: InstanceSpec): ProviderConfig => (p === 'cuda' ? { name: 'cuda', deviceId: spec.deviceId } : p);
const deviceName = (p: ProviderName, spec: InstanceSpec): string => (p === 'cuda' ? `cuda:${spec.deviceId}` : p);

/**
 * The `onnxruntime` execution backend over the onnxruntime JS packages a platform has: each
 * instance tries the providers the core chose for it (InstanceSpec.providers), each on the
 * runtime its row names, and runs on the first that creates a session.
 */
export function onnxruntimeBackend(runtimes: OrtRuntimes): ExecutionBackend {
  const registry = new RuntimeRegistry<OrtRuntime>();
  for (const [name, init] of Object.entries(runtimes)) if (init) registry.register(name, init);
  const warned = new Set<string>();
  const modelInput = async (source: ModelSource): Promise<string | Uint8Array> => {
    const file = source.config.defaultModelFilename || 'model.onnx';
    return source.localPath?.(file) ?? (await source.readFile(file));
  };
  // The model file's tensors, read once per version: by auto-complete's session, else by the first instance.
  const ios = new WeakMap<ModelSource, Promise<ModelIO>>();
  const modelIO = (source: ModelSource, session: InferenceSession): Promise<ModelIO> => {
    let io = ios.get(source);
    if (!io) {
      // A session in its own thread has no metadata here; a plain one on the CPU reads it then.
      io = hasMetadata(session) ? Promise.resolve(sessionIO(session)) : readModelIO(source);
      ios.set(source, io);
    }
    return io;
  };
  const readModelIO = async (source: ModelSource): Promise<ModelIO> => {
    const first = source.providers?.providers[0] ?? 'cpu';
    const runtime = EXECUTION_PROVIDERS[first].runtime;
    let session: InferenceSession;
    try {
      const rt = await registry.get(runtime);
      session = await rt.createSession(await modelInput(source), { executionProviders: [READER[runtime]], logSeverityLevel: 3 });
    } catch (e) {
      throw invalidArg(`onnxruntime could not create a session for model '${source.name}': ${(e as Error).message}`);
    }
    try {
      return sessionIO(session);
    } finally {
      await session.release();
    }
  };
  return {
    name: 'onnxruntime',
    usesProviders: true,
    async autoComplete(source) {
      const io = readModelIO(source);
      ios.set(source, io);
      completeFromModelIO(source.config, await io);
    },
    async createInstance(source, spec) {
      const model = await modelInput(source);
      const choice = spec.providers ?? source.providers ?? { providers: ['cpu'] };
      const errors: string[] = [];
      for (const p of choice.providers) {
        const device = deviceName(p, spec);
        let rt: OrtRuntime;
        try {
          rt = await registry.get(EXECUTION_PROVIDERS[p].runtime);
        } catch (e) {
          errors.push(`${device} failed: ${(e as Error).message.split('\n')[0]}`);
          continue;
        }
        const options: InferenceSession.SessionOptions = {
          executionProviders: [providerConfig(p, spec)],
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
          ...sessionTuning(source, rt.threads(spec)),
        };
        let session: InferenceSession;
        try {
          session = await (rt.createInstanceSession ? rt.createInstanceSession(model, options, source) : rt.createSession(model, options));
        } catch (e) {
          errors.push(`${device} failed: ${(e as Error).message.split('\n')[0]}`);
          continue;
        }
        try {
          checkModelIO(source.config, await modelIO(source, session));
        } catch (e) {
          await session.release();
          throw e;
        }
        const key = `${source.namespace}::${source.name}`;
        const fallback = [choice.fallback, ...errors].filter(Boolean).join('; ') || undefined;
        if (fallback && !warned.has(key)) {
          warned.add(key);
          source.log.warn(`model '${source.name}': running on ${device}: ${fallback}`);
        }
        return ortInstance(rt, session, source.name, device, fallback);
      }
      throw invalidArg(`onnxruntime could not create a session for model '${source.name}': ${[choice.fallback, ...errors].filter(Boolean).join('; ')}`);
    },
    async dispose() {
      for (const rt of await registry.ready()) await rt.dispose?.();
    },
  };
}

/**
 * Session threading from the config's parameters (the names of Triton's onnxruntime backend where
 * it has one): `intra_op_thread_count` (default: every core), `inter_op_thread_count` (default 1),
 * `allow_spinning` ("0" by default: idle pool threads sleep instead of spinning, which on a busy
 * machine leaves the cores to request handling and other models).
 */
export function sessionTuning(source: ModelSource, defaultThreads: number): InferenceSession.SessionOptions {
  const count = (key: string, fallback: number) => {
    const v = parameter(source.config, key);
    if (v === undefined || v.trim() === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 1024)
      throw invalidArg(`model '${source.name}': parameter ${key} must be a whole number from 0 to 1024, got '${v}'`);
    return n === 0 ? fallback : n;
  };
  const spin = parameter(source.config, 'allow_spinning') ?? '0';
  if (spin !== '0' && spin !== '1') throw invalidArg(`model '${source.name}': parameter allow_spinning must be '0' or '1', got '${spin}'`);
  return {
    intraOpNumThreads: count('intra_op_thread_count', defaultThreads),
    interOpNumThreads: count('inter_op_thread_count', 1),
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

const hasMetadata = (s: InferenceSession): boolean =>
  Array.isArray((s as Partial<InferenceSession>).inputMetadata) && Array.isArray((s as Partial<InferenceSession>).outputMetadata);

const sessionIO = (s: InferenceSession): ModelIO => ({ inputs: tensorSpecs(s.inputMetadata), outputs: tensorSpecs(s.outputMetadata) });

/** Largest dimension onnxruntime can report as a real size; past it are "unknown" sentinels. */
const MAX_DIM = 2 ** 31 - 1;

/**
 * A dimension as onnxruntime reports it → a config dimension: a size stays, every way of saying
 * "unknown" becomes -1. onnxruntime-node gives a dynamic dimension as its symbolic name (an empty
 * string when it has none) or a negative number; onnxruntime-web gives an unnamed one as
 * 4294967295 (-1 read as an unsigned 32-bit number).
 */
export function ortDim(d: unknown): number {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DIM ? d : -1;
}

/** onnxruntime's input or output metadata as tensor specs; values that are not tensors are refused. */
export function tensorSpecs(meta: readonly InferenceSession.ValueMetadata[]): TensorSpec[] {
  return meta.map((m) => {
    if (!m.isTensor) throw invalidArg(`model value '${m.name}' is not a tensor`);
    const datatype = ortTypeToDataType(m.type);
    if (!datatype) throw invalidArg(`model tensor '${m.name}' has type '${m.type}', which is not supported`);
    return { name: m.name, datatype, dims: m.shape.map(ortDim) };
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A request whose BYTES inputs are not UTF-8 fails alone instead of failing the whole batch. */
function utf8Problem(r: ExecRequest): Error | undefined {
  for (const [name, t] of r.inputs) {
    if (t.datatype !== 'BYTES') continue;
    try {
      for (const b of t.data as Uint8Array[]) strictUtf8.decode(b);
    } catch {
      return invalidArg(`input '${name}' holds bytes that are not valid UTF-8; onnxruntime string tensors need UTF-8 text`);
    }
  }
  return undefined;
}

/**
 * One instance over its session. Once disposed it refuses to run, and disposing again is a no-op:
 * onnxruntime-web reuses a released session's id for the next session created, so a released
 * session must never be run or released again (it would be another instance's).
 */
function ortInstance(rt: OrtRuntime, session: InferenceSession, model: string, device: string, fallback?: string): BackendInstance {
  const run = runner(rt, session);
  let released: Promise<void> | undefined;
  return {
    device,
    fallback,
    async execute(requests: ExecRequest[]) {
      if (released) throw unavailable(`model '${model}': this instance (${device}) has been disposed`);
      const problems = requests.map(utf8Problem);
      if (problems.every((p) => p === undefined)) return run(requests);
      const ok = requests.filter((_, i) => !problems[i]);
      const outcome: ExecOutcome = ok.length > 0 ? await run(ok) : { results: [] };
      let k = 0;
      return { results: problems.map((p) => p ?? outcome.results[k++]!), timing: outcome.timing };
    },
    dispose() {
      released ??= session.release();
      return released;
    },
  };
}

/** Runs requests as one batch: merge, session.run, split, with the time of each part. */
function runner(rt: OrtRuntime, session: InferenceSession) {
  return async (requests: ExecRequest[]): Promise<ExecOutcome> => {
    const t0 = now();
    const merged = mergeInputs(requests);
    const feeds: Record<string, ReturnType<typeof toOrt>> = {};
    for (const [name, t] of merged) feeds[name] = toOrt(rt.Tensor, name, t);
    const t1 = now();
    const out = await session.run(feeds, requests[0]!.outputs);
    const t2 = now();
    const outputs = new Map(Object.entries(out).map(([name, t]) => [name, fromOrt(name, t)]));
    // onnxruntime copies each output out of its own memory into a new array.
    for (const t of outputs.values()) countCopied(Array.isArray(t.data) ? t.data.reduce((n, b) => n + b.byteLength, 0) : t.data.byteLength);
    const sizes = requests.map((r) => r.inputs.values().next().value?.shape[0] ?? 1);
    const results = splitOutputs(outputs, requests, sizes);
    const t3 = now();
    return { results, timing: { inputNs: ns(t1 - t0), inferNs: ns(t2 - t1), outputNs: ns(t3 - t2) } };
  };
}
