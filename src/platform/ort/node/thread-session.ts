import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-common';
import { countCopied } from '../../../core/index.ts';
import type { OrtTensorCtor } from '../convert.ts';
import type { FromSession, SessionInit, ThreadTensor, ToSession } from './ort-thread-protocol.ts';
import { packageRoot } from '../../node/package-root.ts';
import { workerExecArgv } from '../../node/worker-argv.ts';

type Tensor = InstanceType<OrtTensorCtor>;

/** dist/node/ort-thread.js of this package (from dist or src). */
export function ortThreadPath(): string {
  return join(packageRoot(), 'dist', 'node', 'ort-thread.js');
}

interface Thread {
  call(m: ToSession, transfer?: ArrayBuffer[]): Promise<FromSession>;
  /** Why the thread stopped, once it has. */
  dead?: string;
  terminate(): Promise<number>;
}

/** Starts a session thread and resolves once its session is created. */
async function startThread(init: SessionInit): Promise<Thread> {
  const worker = new Worker(ortThreadPath(), { workerData: init, execArgv: workerExecArgv() });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromSession) => {
      worker.off('message', onMessage);
      if ('failed' in m) reject(new Error(m.failed));
      else resolve();
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`session thread exited with code ${code} while loading`)));
  });
  worker.removeAllListeners('error').removeAllListeners('exit');
  const pending = new Map<number, { resolve: (m: FromSession) => void; reject: (e: Error) => void }>();
  // The thread keeps the process alive exactly while a call waits on it: an idle session never holds
  // the process open, and a pending one (a warm-up or probe awaited during start-up) always does.
  const settled = (id: number) => {
    pending.delete(id);
    if (pending.size === 0) worker.unref();
  };
  let next = 0;
  const thread: Thread = {
    call: (m, transfer = []) =>
      new Promise<FromSession>((resolve, reject) => {
        if (thread.dead) return reject(new Error(`onnxruntime session thread stopped: ${thread.dead}`));
        const id = next++;
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...m, id }, transfer);
      }),
    terminate: () => worker.terminate(),
  };
  const stop = (reason: string) => {
    thread.dead ??= reason;
    for (const p of pending.values()) p.reject(new Error(`onnxruntime session thread stopped: ${reason}`));
    pending.clear();
    worker.unref();
  };
  worker.on('message', (m: FromSession) => {
    if (!('id' in m)) return;
    const p = pending.get(m.id);
    if (!p) return;
    settled(m.id);
    p.resolve(m);
  });
  worker.on('error', (e: Error) => stop(`${e.name}: ${e.message}`));
  worker.on('exit', (code) => stop(`exit code ${code}`));
  worker.unref();
  return thread;
}

/**
 * An onnxruntime-node session in its own thread: `run` posts the feeds there and resolves with the
 * outputs, so the JavaScript thread keeps serving while the model computes (onnxruntime-node runs
 * sessions synchronously on the thread that calls them). Input data is copied once into buffers
 * that are transferred; outputs come back transferred. If the thread dies, the requests it held
 * fail with the reason and the next request starts a new one.
 */
export async function createThreadSession(Ctor: OrtTensorCtor, init: SessionInit): Promise<InferenceSession> {
  let thread: Promise<Thread> = startThread(init);
  await thread;
  let released = false;
  const current = async () => {
    const t = await thread;
    if (!t.dead || released) return t;
    thread = startThread(init);
    return thread;
  };

  const session = {
    async run(feeds: Record<string, Tensor>, fetches?: readonly string[]) {
      const wire: Record<string, ThreadTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(feeds)) {
        let data = t.data as ArrayBufferView | string[];
        if (ArrayBuffer.isView(data)) {
          // A copy of just this view (the input may be a window on a larger request body).
          data = (data as Uint8Array).slice();
          countCopied(data.byteLength);
          transfer.push(data.buffer as ArrayBuffer);
        }
        wire[name] = { type: t.type, data, dims: t.dims };
      }
      const r = await (await current()).call({ id: 0, feeds: wire, fetches: fetches ? [...fetches] : undefined }, transfer);
      if ('error' in r) throw new Error(r.error);
      if (!('outputs' in r)) throw new Error('unexpected reply from the session thread');
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(r.outputs)) out[name] = new Ctor(t.type as Tensor['type'], t.data, t.dims);
      return out;
    },
    /** Ends the thread as a crash would (fault injection in tests). */
    async crash() {
      await (await thread).terminate();
    },
    async release() {
      released = true;
      const t = await thread.catch(() => undefined);
      if (!t) return;
      if (!t.dead) await t.call({ id: 0, release: true }).catch(() => undefined);
      t.dead ??= 'released';
      await t.terminate();
    },
  };
  return session as unknown as InferenceSession;
}
