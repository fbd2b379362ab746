// Entry point of an onnxruntime-node session's thread (bundled to dist/node/ort-thread.js).
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { FromSession, SessionInit, ThreadTensor, ToSession } from './ort-thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('ort-thread must run in a worker thread');
const post = (m: FromSession, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const init = workerData as SessionInit;

let session: ort.InferenceSession;
try {
  session = await ort.InferenceSession.create(init.model as Uint8Array, init.options);
} catch (e) {
  post({ failed: (e as Error).message });
  process.exit(0);
}
post({ ready: true });

port.on('message', async (m: ToSession) => {
  if ('release' in m) {
    await session.release().catch(() => undefined);
    post({ id: m.id, released: true });
    port.close();
    return;
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as Float32Array, t.dims);
    const out = m.fetches ? await session.run(feeds, m.fetches) : await session.run(feeds);
    const outputs: Record<string, ThreadTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(out)) {
      const data = t.data as ArrayBufferView | string[];
      outputs[name] = { type: t.type, data, dims: t.dims };
      if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
    }
    post({ id: m.id, outputs }, transfer);
  } catch (e) {
    post({ id: m.id, error: (e as Error).message });
  }
});
