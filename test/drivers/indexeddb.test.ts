import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type FileStat, type RepositoryDriver, unavailable } from '../../src/core/index.ts';
import { indexedDb } from '../../src/platform/drivers/indexeddb.ts';
import { memory } from '../../src/platform/drivers/memory.ts';
import type { DownloadProgress } from '../../src/transports/worker/protocol.ts';
import { fakeIdb } from './fake-idb.ts';

/** A remote-like source: ETags are content hashes, reads are counted, and it can go offline. */
function remote(files: Record<string, string>) {
  const m = memory({ files });
  const state = { reads: 0, offline: false };
  const guard = () => {
    if (state.offline) throw unavailable('http repository: cannot fetch: network error');
  };
  const driver: RepositoryDriver = {
    name: 'remote',
    async list(dir) {
      guard();
      return m.list(dir);
    },
    async stat(p): Promise<FileStat | null> {
      guard();
      const s = await m.stat(p);
      if (s?.kind !== 'file') return s;
      return {
        kind: 'file',
        size: s.size,
        etag: createHash('sha256')
          .update(await m.read(p))
          .digest('hex'),
      };
    },
    async read(p) {
      guard();
      state.reads++;
      return m.read(p);
    },
  };
  return { driver, state, files: m };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('indexeddb cache driver', () => {
  it('keeps files after the first read; the next page load reads them from IndexedDB', async () => {
    const idb = fakeIdb();
    const src = remote({ 'm/config.pbtxt': 'cfg', 'm/1/model.onnx': 'weights' });
    const first = indexedDb({ source: src.driver, lib: idb.lib });
    expect(text(await first.read('m/1/model.onnx'))).toBe('weights');
    expect(src.state.reads).toBe(1);

    const events: DownloadProgress[] = [];
    const reloaded = indexedDb({ source: src.driver, lib: async () => idb.lib, onProgress: (p) => events.push(p) });
    expect(text(await reloaded.read('m/1/model.onnx'))).toBe('weights');
    expect(src.state.reads).toBe(1);
    expect(events).toEqual([{ path: 'm/1/model.onnx', loaded: 7, total: 7, source: 'cache', done: true }]);
  });

  it('downloads again when the source version (sha256/ETag) changes', async () => {
    const idb = fakeIdb();
    const src = remote({ 'm/1/model.onnx': 'weights' });
    const d = indexedDb({ source: src.driver, lib: idb.lib });
    await d.read('m/1/model.onnx');
    await src.files.write!('m/1/model.onnx', new TextEncoder().encode('WEIGHTS'));
    expect(text(await d.read('m/1/model.onnx'))).toBe('WEIGHTS');
    expect(src.state.reads).toBe(2);
    expect(text(await indexedDb({ source: src.driver, lib: idb.lib }).read('m/1/model.onnx'))).toBe('WEIGHTS');
    expect(src.state.reads).toBe(2);
  });

  it('works offline on the next page load for everything seen before', async () => {
    const idb = fakeIdb();
    const src = remote({ 'm/config.pbtxt': 'cfg', 'm/1/model.onnx': 'weights', 'n/1/model.onnx': 'other' });
    const online = indexedDb({ source: src.driver, lib: idb.lib });
    await online.list('');
    await online.list('m');
    await online.read('m/1/model.onnx');

    src.state.offline = true;
    const offline = indexedDb({ source: src.driver, lib: idb.lib });
    expect((await offline.list('')).map((e) => e.name).sort()).toEqual(['m', 'n']);
    expect((await offline.list('m')).map((e) => e.name).sort()).toEqual(['1', 'config.pbtxt']);
    expect(text(await offline.read('m/1/model.onnx'))).toBe('weights');
    await expect(offline.read('n/1/model.onnx')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('a file removed at the source is NOT_FOUND even though it is cached', async () => {
    const idb = fakeIdb();
    const src = remote({ 'm/1/model.onnx': 'weights', 'm/config.pbtxt': 'cfg' });
    const d = indexedDb({ source: src.driver, lib: idb.lib });
    await d.read('m/1/model.onnx');
    await src.files.remove!('m/1/model.onnx');
    await expect(d.read('m/1/model.onnx')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('without a working IndexedDB it passes everything through', async () => {
    const src = remote({ 'm/1/model.onnx': 'weights' });
    const d = indexedDb({ source: src.driver, lib: () => Promise.reject(new Error('IndexedDB is disabled')) });
    expect(text(await d.read('m/1/model.onnx'))).toBe('weights');
    expect(text(await d.read('m/1/model.onnx'))).toBe('weights');
    expect(src.state.reads).toBe(2);
  });

  it('clear() forgets this repository only', async () => {
    const idb = fakeIdb();
    const a = indexedDb({ source: remote({ 'f.bin': 'a' }).driver, lib: idb.lib, prefix: 'a' });
    const b = indexedDb({ source: remote({ 'f.bin': 'b' }).driver, lib: idb.lib, prefix: 'b' });
    await a.read('f.bin');
    await b.read('f.bin');
    await a.clear();
    const keys = [...idb.stores.values()].flatMap((s) => [...s.keys()]);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith('b|'))).toBe(true);
  });
});
