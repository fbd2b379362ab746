import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { portEndpoint } from '../src/platform/electron/port.ts';
import { createWorkerClient } from '../src/transports/worker/client.ts';

/**
 * examples/electron/server.mjs (the Electron main process minus `electron` itself) under plain
 * Node: a worker_threads MessageChannel stands in for MessageChannelMain.
 */
describe('examples/electron', () => {
  it('serves examples/models to a "renderer" over a MessagePort, without a TCP port', async () => {
    // @ts-expect-error plain .mjs example without types
    const { startNereid } = await import('../examples/electron/server.mjs');
    const nereid = await startNereid();
    const { port1, port2 } = new MessageChannel();
    nereid.connect(port1);
    const client = createWorkerClient(portEndpoint(port2));
    try {
      await client.started();
      expect(await client.ready()).toBe(true);
      const index = await client.index();
      expect(index.map((e) => e.name)).toContain('add_sub');
      const x = Float32Array.from({ length: 16 }, (_, i) => i);
      const res = await client.infer('add_sub', [
        { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: x },
        { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: x },
      ], { binaryOutputs: true });
      expect(Array.from(new Float32Array(res.outputs[0]!.bytes!.buffer))).toEqual(Array.from(x, (v) => 2 * v));
      expect(res.outputs[1]!.bytes!.byteLength).toBe(64);
    } finally {
      client.close();
      port1.close();
      port2.close();
      await nereid.stop();
    }
  });
});
