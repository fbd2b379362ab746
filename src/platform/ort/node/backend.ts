import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { invalidArg, type Logger, type ModelSource, parameter } from '../../../core/index.ts';
import { adaptiveSession } from './adaptive-session.ts';
import { keepFloat16AsUint16 } from './float16.ts';
import { type ProbeLimits, probeFeeds, probeRun } from './ort-probe.ts';
import { createThreadSession } from './thread-session.ts';
import type { OrtTensorCtor } from '../convert.ts';
import type { OrtRuntime } from '../session-backend.ts';

// onnxruntime-node >= 1.30 on Linux and macOS sends usage telemetry to Microsoft and writes `.ses`
// and `mat-debug-<pid>.log` into the temp directory of every process that creates a session. A
// server does neither unasked: off unless ORT_DISABLE_TELEMETRY is set already (README "Privacy").
process.env.ORT_DISABLE_TELEMETRY ??= '1';
keepFloat16AsUint16(ort);

export interface CudaStatus {
  available: boolean;
  /** Why CUDA is not used, when it is not. */
  reason?: string;
  deviceCount: number;
}

/** Where an instance's session runs: `auto` decides at load from a timed probe run (see `placeInstance`). */
export type ExecutionThread = 'auto' | 'main' | 'worker';

/** `auto`: median synchronous run time (ms) of the last runs past which an instance on the JavaScript thread moves to its own. */
export const AUTO_THREAD_MS = 1;
const AUTO_WINDOW = 32;
/** `auto`: the fastest probe run at load must take at most this (ms) for instances to start on the JavaScript thread. */
export const AUTO_MAIN_MS = 0.2;
const PROBE_LIMITS: ProbeLimits = { runs: 5, fastMs: AUTO_MAIN_MS, budgetMs: 1000 };

export interface OrtNodeOptions {
  cpuCount: number;
  /** Where instances run when their config does not say (parameter `execution_thread`). */
  executionThread?: ExecutionThread;
}

/** The config's `execution_thread` parameter. */
export function executionThread(source: ModelSource, fallback: ExecutionThread): ExecutionThread {
  const v = parameter(source.config, 'execution_thread');
  if (v === undefined || v === '') return fallback;
  if (v === 'auto' || v === 'main' || v === 'worker') return v;
  throw invalidArg(`model '${source.name}': parameter execution_thread must be 'auto', 'main' or 'worker', got '${v}'`);
}

/**
 * Where one instance's session runs: the config's `execution_thread`, else the server's default,
 * else `auto`; CUDA instances default to `worker`, since a CUDA run blocks its calling thread
 * while the GPU computes and copies, however short that is.
 */
export function instanceThread(
  source: ModelSource,
  options: { executionProviders?: readonly (string | { name: string })[] },
  serverDefault?: ExecutionThread,
): ExecutionThread {
  const onGpu = (options.executionProviders ?? []).some((p) => (typeof p === 'string' ? p : p.name) === 'cuda');
  return executionThread(source, serverDefault ?? (onGpu ? 'worker' : 'auto'));
}

/**
 * onnxruntime-node as a runtime of the `onnxruntime` backend: the `cpu` and `cuda` providers.
 * onnxruntime-node computes on the thread that calls `run`; an instance runs on the JavaScript
 * thread only when a probe run at load proves it takes microseconds, and in its own thread
 * otherwise (parameter `execution_thread`: auto, main or worker; CUDA instances default to their
 * own thread). Each session gets every core for its intra-op thread pool unless the config says
 * otherwise.
 */
export function ortNodeRuntime(opts: OrtNodeOptions): OrtRuntime {
  return {
    Tensor: ort.Tensor as unknown as OrtTensorCtor,
    createSession: (model, options) => (typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)),
    threads: () => opts.cpuCount,
    async createInstanceSession(model, options, source) {
      const where = instanceThread(source, options, opts.executionThread);
      const inThread = () => createThreadSession(ort.Tensor as unknown as OrtTensorCtor, { model, options });
      if (where === 'worker' || (where === 'auto' && (await placeInstance(source, model, options)) === 'worker')) return inThread();
      const main = await ort.InferenceSession.create(model as Uint8Array, options);
      if (where === 'main') return main;
      return adaptiveSession(main, inThread, {
        thresholdMs: AUTO_THREAD_MS,
        window: AUTO_WINDOW,
        onMove: (ms) =>
          source.log.info(`model '${source.name}': runs take ${ms.toFixed(1)} ms (median of the last ${AUTO_WINDOW}); moving the instance to its own thread`),
        onMoveFailed: (e) =>
          source.log.warn(`model '${source.name}': could not move the instance to its own thread (${e.message}); it stays on the main thread`),
      });
    },
  };
}

const placements = new WeakMap<ModelSource, Map<string, Promise<'main' | 'worker'>>>();

/**
 * `auto`: where a model's instances start, decided once per model version and set of providers
 * before any of them serves. A probe run of zero inputs (shaped from the config) is timed in the
 * probe thread, so however long it takes the JavaScript thread keeps serving. Only a model proven
 * to take microseconds (fastest run at most AUTO_MAIN_MS) starts on the JavaScript thread, where
 * the adaptive session still moves it if its real runs turn out slow; anything else, including a
 * model the probe cannot run, starts in its own thread.
 */
export function placeInstance(source: ModelSource, model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<'main' | 'worker'> {
  const key = JSON.stringify(options.executionProviders ?? []);
  let byProviders = placements.get(source);
  if (!byProviders) placements.set(source, (byProviders = new Map()));
  let placed = byProviders.get(key);
  if (!placed) {
    placed = decide(source, model, options);
    byProviders.set(key, placed);
  }
  return placed;
}

async function decide(source: ModelSource, model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<'main' | 'worker'> {
  const who = `model '${source.name}'`;
  let feeds: ReturnType<typeof probeFeeds>;
  try {
    feeds = probeFeeds(ort.Tensor as unknown as OrtTensorCtor, source.config);
  } catch (e) {
    source.log.info(`${who}: no probe inputs (${(e as Error).message}); instances run in their own threads`);
    return 'worker';
  }
  let probe: Awaited<ReturnType<typeof probeRun>>;
  try {
    probe = await probeRun({ model, options }, feeds, PROBE_LIMITS);
  } catch (e) {
    source.log.warn(
      `${who}: cannot time a probe run (${(e as Error).message}); instances start on the JavaScript thread and move to their own once runs take over ${AUTO_THREAD_MS} ms`,
    );
    return 'main';
  }
  if ('failed' in probe) {
    source.log.info(`${who}: a probe run with zero inputs failed (${probe.failed}); instances run in their own threads`);
    return 'worker';
  }
  const ms = probe.ms < 1 ? probe.ms.toFixed(3) : probe.ms.toFixed(1);
  if (probe.ms <= AUTO_MAIN_MS) {
    source.log.verbose(1, `${who}: a probe run takes ${ms} ms; instances run on the JavaScript thread`);
    return 'main';
  }
  source.log.info(`${who}: a probe run takes ${ms} ms; instances run in their own threads`);
  return 'worker';
}

/** Where onnxruntime-node keeps its native libraries (the CUDA provider must be copied there). */
export function ortNativeDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Detects whether the CUDA execution provider can work: its library must sit next to
 * onnxruntime-node's binding (see README "CUDA"), and the driver must report a GPU.
 */
export async function detectCuda(log?: Logger): Promise<CudaStatus> {
  if (process.env.NEREID_DISABLE_CUDA === '1') return { available: false, reason: 'CUDA disabled by NEREID_DISABLE_CUDA=1', deviceCount: 0 };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { available: false, reason: `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`, deviceCount: 0 };
  }
  const lib = join(ortNativeDir(), 'libonnxruntime_providers_cuda.so');
  if (!existsSync(lib)) {
    return { available: false, reason: `the CUDA execution provider is not installed (${lib} is missing; see README "CUDA")`, deviceCount: 0 };
  }
  const count = await new Promise<number>((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: 10_000 }, (err, stdout) => resolve(err ? 0 : stdout.split('\n').filter((l) => l.startsWith('GPU ')).length));
  });
  if (count === 0) return { available: false, reason: 'no NVIDIA GPU found (nvidia-smi -L lists none)', deviceCount: 0 };
  log?.info(`CUDA execution provider found; ${count} GPU(s)`);
  return { available: true, deviceCount: count };
}
