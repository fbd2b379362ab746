import { afterAll, describe, expect, it, vi } from 'vitest';
import { MessageChannelMainStandIn, MessagePortMainStandIn, rendererPort } from './helpers/electron-ports.ts';

/**
 * examples/electron run as written, with stand-ins for what Electron provides (Electron cannot be
 * installed here): `electron`'s app/BrowserWindow/MessageChannelMain for main.mjs, and for
 * renderer.mjs a window that receives the port the preload forwards plus the page's elements.
 * The MessageChannelMain stand-in throws where Electron's throws (transferring anything but ports)
 * and the renderer's port refuses to transfer ArrayBuffers to it (Electron drops their data).
 */
const electron = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  const appListeners = new Map<string, Listener>();
  const windows: FakeWindow[] = [];
  let quit: () => void = () => undefined;
  const quitted = new Promise<void>((resolve) => (quit = resolve));
  class FakeWindow {
    readonly sent: { channel: string; message: unknown; transfer: unknown[] }[] = [];
    private readonly once = new Map<string, Listener>();
    readonly webContents = {
      once: (event: string, fn: Listener) => this.once.set(event, fn),
      postMessage: (channel: string, message: unknown, transfer: unknown[] = []) => this.sent.push({ channel, message, transfer }),
    };
    readonly options: unknown;
    constructor(options: unknown) {
      this.options = options;
      windows.push(this);
    }
    async loadFile(_file: string): Promise<void> {
      this.once.get('did-finish-load')?.();
    }
  }
  return { appListeners, windows, quitted, quit: () => quit(), FakeWindow };
});

vi.mock('electron', async () => {
  const { MessageChannelMainStandIn: Channel } = await import('./helpers/electron-ports.ts');
  return {
    app: {
      whenReady: () => Promise.resolve(),
      on: (event: string, fn: (...args: unknown[]) => void) => electron.appListeners.set(event, fn),
      quit: () => electron.quit(),
    },
    BrowserWindow: electron.FakeWindow,
    MessageChannelMain: Channel,
  };
});

/** The page: `#index`, `#run` and `#result`, and a window that the preload posts the port to. */
function fakePage() {
  const elements = new Map(['index', 'run', 'result'].map((id) => [id, { textContent: '', onclick: null as null | (() => Promise<void>) }]));
  const listeners: ((ev: { data: unknown; ports: unknown[] }) => void)[] = [];
  const g = globalThis as Record<string, unknown>;
  g.window = { addEventListener: (_type: string, fn: (ev: { data: unknown; ports: unknown[] }) => void) => listeners.push(fn) };
  g.document = { getElementById: (id: string) => elements.get(id) };
  afterAll(() => {
    delete g.window;
    delete g.document;
  });
  return {
    elements,
    /** preload.cjs: `window.postMessage('nereid-port', '*', event.ports)`. */
    deliver: (ports: unknown[]) => {
      for (const fn of listeners) fn({ data: 'nereid-port', ports });
    },
  };
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('examples/electron', () => {
  it('main.mjs hands the window a MessagePortMain; renderer.mjs lists the models and runs add_sub over it', async () => {
    const page = fakePage();
    // @ts-expect-error plain .mjs example without types
    await import('../examples/electron/renderer.mjs');
    // @ts-expect-error plain .mjs example without types
    await import('../examples/electron/main.mjs');
    const win = await waitFor('a window', () => electron.windows[0]);
    const sent = await waitFor('the port sent to the window', () => win.sent[0]);
    expect(sent.channel).toBe('nereid-port');
    expect(sent.transfer).toHaveLength(1);
    expect(sent.transfer[0]).toBeInstanceOf(MessagePortMainStandIn);
    page.deliver([rendererPort(sent.transfer[0] as MessagePortMainStandIn)]);

    const index = page.elements.get('index')!;
    await waitFor('the model index on the page', () => index.textContent);
    const names = (JSON.parse(index.textContent) as { name: string; state?: string }[]).map((e) => `${e.name}:${e.state}`);
    expect(names).toContain('add_sub:READY');

    const result = page.elements.get('result')!;
    await page.elements.get('run')!.onclick!();
    const [timing, ...json] = result.textContent.split('\n');
    expect(timing).toMatch(/^\d+(\.\d+)? ms$/);
    const outputs = JSON.parse(json.join('\n')) as { name: string; data: number[] }[];
    const x = Array.from({ length: 16 }, (_, i) => i);
    expect(outputs.find((o) => o.name === 'OUTPUT0')!.data).toEqual(x.map((v) => 2 * v));
    expect(outputs.find((o) => o.name === 'OUTPUT1')!.data).toEqual(x.map(() => 0));

    electron.appListeners.get('window-all-closed')!();
    await electron.quitted;
  });

  it('server.mjs serves a client in the main process over a MessageChannelMain, without a TCP port', async () => {
    // @ts-expect-error plain .mjs example without types
    const { startNereid } = await import('../examples/electron/server.mjs');
    const { portEndpoint } = await import('../src/platform/electron/port.ts');
    const { createWorkerClient } = await import('../src/transports/worker/client.ts');
    const nereid = await startNereid();
    const { port1, port2 } = new MessageChannelMainStandIn();
    nereid.connect(port1);
    const client = createWorkerClient(portEndpoint(port2));
    port2.start();
    try {
      await client.started();
      expect(await client.ready()).toBe(true);
      const x = Float32Array.from({ length: 16 }, (_, i) => i);
      const res = await client.infer(
        'add_sub',
        [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: x },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: x },
        ],
        { binaryOutputs: true },
      );
      expect(Array.from(new Float32Array(res.outputs[0]!.bytes!.buffer))).toEqual(Array.from(x, (v) => 2 * v));
      expect(Array.from(new Float32Array(res.outputs[1]!.bytes!.buffer))).toEqual(Array.from(x, () => 0));
    } finally {
      client.close();
      port1.close();
      port2.close();
      await nereid.stop();
    }
  });
});
