// Renderer: the worker transport client over the MessagePort from the main process.
// `transfer: false`: the other end is Electron's MessagePortMain, which cannot receive transferred
// ArrayBuffers (their data is lost), so request bodies are sent as copies.
import { createWorkerClient } from '../../dist/browser/index.js';

window.addEventListener('message', async (event) => {
  if (event.data !== 'nereid-port') return;
  const port = event.ports[0];
  port.start();
  const client = createWorkerClient(port, { transfer: false });
  await client.started();
  document.getElementById('index').textContent = JSON.stringify(await client.index(), null, 1);
  document.getElementById('run').onclick = async () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => i);
    const t0 = performance.now();
    const res = await client.infer('add_sub', [
      { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: x },
      { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: x },
    ]);
    document.getElementById('result').textContent = `${(performance.now() - t0).toFixed(1)} ms\n${JSON.stringify(res.outputs, null, 1)}`;
  };
});
