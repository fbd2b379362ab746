import type { IdbKeyvalLib } from '../../src/platform/drivers/indexeddb.ts';

/** idb-keyval over Maps, with structured cloning like IndexedDB (one instance = one browser profile). */
export function fakeIdb(): { lib: IdbKeyvalLib<Map<string, unknown>>; stores: Map<string, Map<string, unknown>> } {
  const stores = new Map<string, Map<string, unknown>>();
  const lib: IdbKeyvalLib<Map<string, unknown>> = {
    createStore(db, name) {
      const key = `${db}/${name}`;
      if (!stores.has(key)) stores.set(key, new Map());
      return stores.get(key)!;
    },
    get: async <T>(key: string, s: Map<string, unknown>) => structuredClone(s.get(key)) as T | undefined,
    set: async (key, value, s) => void s.set(key, structuredClone(value)),
    del: async (key, s) => void s.delete(key),
    keys: async (s) => [...s.keys()],
  };
  return { lib, stores };
}
