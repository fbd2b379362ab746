import { type DirEntry, type FileStat, isServerError, joinPath, notFound, type RepositoryDriver } from '../../core/index.ts';
import type { DownloadProgress } from '../../transports/worker/protocol.ts';

/** The parts of idb-keyval this driver uses (tests and bundler-hostile setups pass their own). */
export interface IdbKeyvalLib<Store = unknown> {
  createStore(dbName: string, storeName: string): Store;
  get<T>(key: string, store: Store): Promise<T | undefined>;
  set(key: string, value: unknown, store: Store): Promise<void>;
  del(key: string, store: Store): Promise<void>;
  keys(store: Store): Promise<IDBValidKey[]>;
}

export interface IndexedDbDriverOptions {
  /** Where the files really live (usually the `http` driver). */
  source: RepositoryDriver;
  /** @defaultValue 'nereid' */
  dbName?: string;
  /** @defaultValue 'repository-cache' */
  storeName?: string;
  /** Key prefix separating repositories that share a store. @defaultValue source.name */
  prefix?: string;
  /** idb-keyval, or a loader for it; imported lazily on first use when absent. */
  lib?: IdbKeyvalLib | (() => Promise<IdbKeyvalLib>);
  /** Reports reads answered from the cache (`source: 'cache'`). */
  onProgress?: (progress: DownloadProgress) => void;
}

interface CachedFile {
  version: string;
  data: Uint8Array;
}

/** Errors that mean "the source cannot be reached", as opposed to "the file is not there". */
const unreachable = (e: unknown) => !isServerError(e) || (e.code !== 'NOT_FOUND' && e.code !== 'INVALID_ARG');

/**
 * A cache in IndexedDB in front of another driver. Files are stored after their first read and
 * served from IndexedDB while their version (the source's ETag: the SHA-256 from repository.json
 * for the http driver) is unchanged; listings and stats are remembered too, so a repository that
 * was loaded once keeps working offline on the next page load.
 */
export function indexedDb(opts: IndexedDbDriverOptions): RepositoryDriver & { clear(): Promise<void> } {
  const { source } = opts;
  const prefix = `${opts.prefix ?? source.name}|`;
  let opened: Promise<{ lib: IdbKeyvalLib; store: unknown } | undefined> | undefined;
  let warned = false;
  const warn = (what: string, e: unknown) => {
    if (!warned) console.warn(`indexeddb cache: ${what} failed, continuing without it: ${(e as Error).message}`);
    warned = true;
  };
  const db = () =>
    (opened ??= (async () => {
      try {
        const lib = typeof opts.lib === 'function' ? await opts.lib() : (opts.lib ?? ((await import('idb-keyval')) as IdbKeyvalLib));
        return { lib, store: lib.createStore(opts.dbName ?? 'nereid', opts.storeName ?? 'repository-cache') };
      } catch (e) {
        warn('opening IndexedDB', e);
        return undefined;
      }
    })());
  const get = async <T>(key: string): Promise<T | undefined> => {
    const s = await db();
    return s?.lib.get<T>(prefix + key, s.store).catch((e) => {
      warn('reading', e);
      return undefined;
    });
  };
  const put = async (key: string, value: unknown): Promise<void> => {
    const s = await db();
    await s?.lib.set(prefix + key, value, s.store).catch((e) => warn('writing', e));
  };

  // Metadata is written only when it changes (POLL stats every file on every pass).
  const remembered = new Map<string, string>();
  const withFallback = async <T>(key: string, call: () => Promise<T>): Promise<T> => {
    let value: T;
    try {
      value = await call();
    } catch (e) {
      if (!unreachable(e)) throw e;
      const saved = await get<T>(key);
      if (saved === undefined) throw e;
      return saved;
    }
    const json = JSON.stringify(value) ?? 'null';
    if (remembered.get(key) !== json) {
      remembered.set(key, json);
      await put(key, value ?? null);
    }
    return value;
  };

  const stat = async (p: string) => withFallback<FileStat | null>(`stat:${joinPath(p)}`, () => source.stat(p));
  return {
    name: `indexeddb:${source.name}`,
    list: async (dir) => withFallback<DirEntry[]>(`list:${joinPath(dir)}`, () => source.list(dir)),
    stat,
    async read(p) {
      const path = joinPath(p);
      const st = await stat(path);
      if (st?.kind !== 'file') throw notFound(`file '${path}' not found in repository '${source.name}'`);
      const version = st.etag ?? (st.mtimeMs === undefined ? undefined : `${st.size}:${st.mtimeMs}`);
      if (version !== undefined) {
        const hit = await get<CachedFile>(`file:${path}`);
        if (hit?.version === version && hit.data.byteLength === st.size) {
          opts.onProgress?.({ path, loaded: st.size, total: st.size, source: 'cache', done: true });
          return hit.data;
        }
      }
      const data = await source.read(path);
      if (version !== undefined) await put(`file:${path}`, { version, data } satisfies CachedFile);
      return data;
    },
    /** Forgets everything cached for this repository. */
    async clear() {
      remembered.clear();
      const s = await db();
      if (!s) return;
      const keys = (await s.lib.keys(s.store)).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
      for (const k of keys) await s.lib.del(k, s.store);
    },
    dispose: () => source.dispose?.() ?? Promise.resolve(),
  };
}
