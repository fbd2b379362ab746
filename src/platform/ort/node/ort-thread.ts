// Entry point of an onnxruntime-node thread (bundled to dist/node/ort-thread.js): one instance's
// session, or the probe thread that times runs of models at load.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { keepFloat16AsUint16 } from './float16.ts';
import type { FromSession, ProbeRequest, SessionInit, ThreadInit, ThreadTensor, ToSession } from './ort-thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('ort-thread must run in a worker thread');
const post = (m: FromSession, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const init = workerData as ThreadInit;
keepFloat16AsUint16(ort);

const toFeeds = (wire: Record<string, ThreadTensor>) => {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(wire)) feeds[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as Float32Array, t.dims);
  return feeds;
};

async function serveSession(init: SessionInit): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(init.model as Uint8Array, init.options);
  } catch (e) {
    post({ failed: (e as Error).message });
    process.exit(0);
  }
  post({ ready: true });
  port!.on('message', async (m: ToSession) => {
    if ('release' in m) {
      await session.release().catch(() => undefined);
      post({ id: m.id, released: true });
      port!.close();
      return;
    }
    try {
      const out = m.fetches ? await session.run(toFeeds(m.feeds), m.fetches) : await session.run(toFeeds(m.feeds));
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
}

/** Times runs of a model here, where nothing else competes with them, one probe at a time. */
async function probe(m: ProbeRequest): Promise<number[]> {
  const session = await ort.InferenceSession.create(m.model as Uint8Array, m.options);
  try {
    const feeds = toFeeds(m.feeds);
    const ms: number[] = [];
    let total = 0;
    for (let i = 0; i < m.runs; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      const t = performance.now() - t0;
      ms.push(t);
      total += t;
      if (t <= m.fastMs || total > m.budgetMs) break;
    }
    return ms;
  } finally {
    await session.release().catch(() => undefined);
  }
}

function serveProbes(): void {
  let queue = Promise.resolve();
  port!.on('message', (m: ProbeRequest) => {
    queue = queue.then(() =>
      probe(m).then(
        (ms) => post({ id: m.id, ms }),
        (e: Error) => post({ id: m.id, error: e.message }),
      ),
    );
  });
  post({ ready: true });
}

if ('probe' in init) serveProbes();
else await serveSession(init);
