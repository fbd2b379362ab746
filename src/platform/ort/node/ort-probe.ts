import { Worker } from 'node:worker_threads';
import { allocate, type ModelConfig, protocolType, type Tensor } from '../../../core/index.ts';
import { type OrtTensorCtor, toOrt } from '../convert.ts';
import type { FromSession, ProbeRequest, SessionInit, ThreadTensor } from './ort-thread-protocol.ts';
import { ortThreadPath } from './thread-session.ts';
import { workerExecArgv } from '../../node/worker-argv.ts';

/** How long the probe thread waits for the next probe before it ends (a burst of loads shares one). */
const PROBE_THREAD_IDLE_MS = 5_000;

export interface ProbeLimits {
  /** Runs at most. */
  runs: number;
  /** A run this short ends the probe: the model is proven fast. */
  fastMs: number;
  /**
   * Runs that took this long in all end the probe: the model is proven slow, and a model of seconds
   * costs one run. Not a single run's limit, since a first run (allocations, a thread pool starting)
   * on a busy machine can take far longer than the next.
   */
  budgetMs: number;
}

export type ProbeResult = { ms: number } | { failed: string };

/**
 * Probe inputs built from the completed config: zeros of each input's type, shaped as the model
 * sees them (its `reshape`, else the first warm-up's dims for it, else its dims), with a batch of
 * the warm-up's batch size or 1, and every variable dimension 1. BYTES inputs hold "0", which text and
 * number-parsing models both accept.
 */
export function probeFeeds(Ctor: OrtTensorCtor, config: ModelConfig): Record<string, ThreadTensor> {
  const warmup = config.modelWarmup[0];
  const batch = config.maxBatchSize > 0 ? [Math.max(1, warmup?.batchSize ?? 1)] : [];
  const feeds: Record<string, ThreadTensor> = {};
  for (const io of config.input) {
    const datatype = protocolType(io.dataType);
    if (!datatype) continue;
    const typical = warmup?.inputs[io.name]?.dims.map(Number);
    const own = (io.reshape?.shape ?? io.dims).map(Number);
    const dims = !io.reshape && typical && typical.length === own.length && typical.every((d) => d >= 0) ? typical : own;
    const shape = [...batch, ...dims.map((d) => (d < 0 ? 1 : d))];
    const count = shape.reduce((a, b) => a * b, 1);
    const zero = '0'.charCodeAt(0);
    const data = datatype === 'BYTES' ? Array.from({ length: count }, () => new Uint8Array([zero])) : allocate(datatype, count);
    const t = toOrt(Ctor, io.name, { datatype, shape, data } as Tensor);
    feeds[io.name] = { type: t.type, data: t.data as ThreadTensor['data'], dims: t.dims };
  }
  return feeds;
}

interface ProbeThread {
  probe(req: Omit<ProbeRequest, 'id'>): Promise<number[]>;
}

let shared: Promise<ProbeThread> | undefined;

/** The probe thread, started on first use and ended once idle; it keeps the process alive only while probing. */
function probeThread(): Promise<ProbeThread> {
  shared ??= startProbeThread().catch((e: Error) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

async function startProbeThread(): Promise<ProbeThread> {
  const worker = new Worker(ortThreadPath(), { workerData: { probe: true }, execArgv: workerExecArgv() });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`probe thread exited with code ${code} while starting`)));
  });
  worker.removeAllListeners('error').removeAllListeners('exit').unref();
  const pending = new Map<number, { resolve: (ms: number[]) => void; reject: (e: Error) => void }>();
  let next = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let dead: string | undefined;
  const end = (reason: string) => {
    if (dead) return;
    dead = reason;
    shared = undefined;
    for (const p of pending.values()) p.reject(new Error(`probe thread stopped: ${reason}`));
    pending.clear();
  };
  worker.on('message', (m: FromSession) => {
    if (!('id' in m)) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if ('ms' in m) p.resolve(m.ms);
    else p.reject(new Error('error' in m ? m.error : 'unexpected reply from the probe thread'));
    if (pending.size > 0) return;
    worker.unref();
    idle = setTimeout(() => {
      end('idle');
      void worker.terminate();
    }, PROBE_THREAD_IDLE_MS).unref();
  });
  worker.on('error', (e: Error) => end(`${e.name}: ${e.message}`));
  worker.on('exit', (code) => end(`exit code ${code}`));
  return {
    probe: (req) =>
      new Promise((resolve, reject) => {
        if (dead) return reject(new Error(`probe thread stopped: ${dead}`));
        clearTimeout(idle);
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ ...req, id });
      }),
  };
}

/**
 * Times `feeds` on a fresh session of the model in the probe thread, so that the JavaScript thread
 * never waits for the model, however slow it is. Resolves with the fastest run, or why the probe
 * could not run the model; rejects when the probe thread itself cannot start.
 */
export async function probeRun(init: SessionInit, feeds: Record<string, ThreadTensor>, limits: ProbeLimits): Promise<ProbeResult> {
  const thread = await probeThread();
  try {
    return { ms: Math.min(...(await thread.probe({ ...init, feeds, ...limits }))) };
  } catch (e) {
    return { failed: (e as Error).message.split('\n')[0]! };
  }
}
