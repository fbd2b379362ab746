import { type DirEntry, type FileStat, joinPath, notFound, type RepositoryDriver } from '../../core/index.ts';

export interface MemoryDriverOptions {
  /** Initial files: repository-relative path → contents. */
  files?: Record<string, Uint8Array | string>;
}

const encoder = new TextEncoder();

/** A repository held in memory: for tests, and for models handed over by page code. */
export function memory(opts: MemoryDriverOptions = {}): RepositoryDriver & { files: Map<string, { data: Uint8Array; mtimeMs: number }> } {
  const files = new Map<string, { data: Uint8Array; mtimeMs: number }>();
  let tick = 0;
  const put = (p: string, data: Uint8Array | string) =>
    files.set(joinPath(p), { data: typeof data === 'string' ? encoder.encode(data) : data, mtimeMs: ++tick });
  for (const [p, d] of Object.entries(opts.files ?? {})) put(p, d);
  const isDir = (p: string) => p === '' || [...files.keys()].some((k) => k.startsWith(`${p}/`));
  return {
    name: 'memory',
    files,
    async list(dir) {
      const base = joinPath(dir);
      if (!isDir(base)) throw notFound(`directory '${dir}' not found`);
      const prefix = base === '' ? '' : `${base}/`;
      const seen = new Map<string, DirEntry>();
      for (const k of files.keys()) {
        if (!k.startsWith(prefix)) continue;
        const rest = k.slice(prefix.length);
        const slash = rest.indexOf('/');
        const name = slash < 0 ? rest : rest.slice(0, slash);
        seen.set(name, { name, kind: slash < 0 ? 'file' : 'dir' });
      }
      return [...seen.values()];
    },
    async stat(p): Promise<FileStat | null> {
      const k = joinPath(p);
      const f = files.get(k);
      if (f) return { kind: 'file', size: f.data.byteLength, mtimeMs: f.mtimeMs };
      return isDir(k) ? { kind: 'dir', size: 0 } : null;
    },
    async read(p) {
      const f = files.get(joinPath(p));
      if (!f) throw notFound(`file '${p}' not found`);
      return f.data;
    },
    async write(p, data) {
      put(p, data);
    },
    async remove(p) {
      const k = joinPath(p);
      for (const key of [...files.keys()]) if (k === '' || key === k || key.startsWith(`${k}/`)) files.delete(key);
    },
  };
}
