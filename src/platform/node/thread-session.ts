import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-common';
import type { OrtTensorCtor } from '../ort/convert.ts';
import type { FromSession, SessionInit, ThreadTensor, ToSession } from './ort-thread-protocol.ts';
import { packageRoot } from './package-root.ts';
import { workerExecArgv } from './worker-argv.ts';

type Tensor = InstanceType<OrtTensorCtor>;

/** dist/node/ort-thread.js of this package (from dist or src). */
export function ortThreadPath(): string {
  return join(packageRoot(), 'dist', 'node', 'ort-thread.js');
}

/**
 * An onnxruntime-node session in its own thread: `run` posts the feeds there and resolves with the
 * outputs, so the JavaScript thread keeps serving while the model computes (onnxruntime-node runs
 * sessions synchronously on the thread that calls them). Input data is copied once into buffers
 * that are transferred; outputs come back transferred.
 */
export async function createThreadSession(Ctor: OrtTensorCtor, init: SessionInit): Promise<InferenceSession> {
  const worker = new Worker(ortThreadPath(), { workerData: init, execArgv: workerExecArgv() });
  const pending = new Map<number, { resolve: (m: FromSession) => void; reject: (e: Error) => void }>();
  let next = 0;
  let dead: string | undefined;
  const failAll = (reason: string) => {
    dead ??= reason;
    for (const p of pending.values()) p.reject(new Error(`onnxruntime session thread stopped: ${reason}`));
    pending.clear();
  };
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
  worker.on('message', (m: FromSession) => {
    if (!('id' in m)) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    p.resolve(m);
  });
  worker.on('error', (e: Error) => failAll(`${e.name}: ${e.message}`));
  worker.on('exit', (code) => failAll(`exit code ${code}`));
  worker.unref();
  const call = (m: ToSession, transfer: ArrayBuffer[] = []) =>
    new Promise<FromSession>((resolve, reject) => {
      if (dead) return reject(new Error(`onnxruntime session thread stopped: ${dead}`));
      pending.set(m.id, { resolve, reject });
      worker.postMessage(m, transfer);
    });

  const session = {
    async run(feeds: Record<string, Tensor>, fetches?: readonly string[]) {
      const wire: Record<string, ThreadTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(feeds)) {
        let data = t.data as ArrayBufferView | string[];
        if (ArrayBuffer.isView(data)) {
          // A copy of just this view (the input may be a window on a larger request body).
          data = (data as Uint8Array).slice();
          transfer.push(data.buffer as ArrayBuffer);
        }
        wire[name] = { type: t.type, data, dims: t.dims };
      }
      const r = await call({ id: next++, feeds: wire, fetches: fetches ? [...fetches] : undefined }, transfer);
      if ('error' in r) throw new Error(r.error);
      if (!('outputs' in r)) throw new Error('unexpected reply from the session thread');
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(r.outputs)) out[name] = new Ctor(t.type as Tensor['type'], t.data, t.dims);
      return out;
    },
    async release() {
      if (!dead) await call({ id: next++, release: true }).catch(() => undefined);
      dead ??= 'released';
      await worker.terminate();
    },
  };
  return session as unknown as InferenceSession;
}
