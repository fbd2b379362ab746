import { type DirEntry, type FileStat, joinPath, notFound, type RepositoryDriver, serverError } from '../../core/index.ts';
import type { DenoApi } from '../../types/deno.d.ts';

declare const Deno: DenoApi;

export interface FsDenoOptions {
  /** Repository root directory (relative paths are resolved against the working directory). */
  root: string;
}

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';
const isMissing = (e: unknown) => ['NotFound', 'NotADirectory'].includes(errorName(e)) || ['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '');
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const windows = () => Deno.build.os === 'windows';
const separator = () => (windows() ? '\\' : '/');

/** An absolute, normalised local path (`.` and `..` resolved) for `path`, like node:path's `resolve`. */
export function absolutePath(path: string): string {
  const win = windows();
  const isAbsolute = win ? /^[A-Za-z]:[\\/]/.test(path) : path.startsWith('/');
  const full = isAbsolute ? path : `${Deno.cwd()}${separator()}${path}`;
  const head = win ? full.slice(0, 2) : '';
  const out: string[] = [];
  for (const seg of full.slice(head.length).split(win ? /[\\/]+/ : /\/+/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `${head}${separator()}${out.join(separator())}`;
}

/** The last segment of a local path. */
export function baseName(path: string): string {
  const segs = path.split(windows() ? /[\\/]+/ : /\/+/).filter(Boolean);
  return segs[segs.length - 1] ?? '';
}

/**
 * A repository on the local file system through Deno's own API (`Deno.readDir`, `Deno.readFile`,
 * ...): the same semantics as `fsNode`. Symlinks that lead outside the root are treated as
 * missing, so nothing outside it is ever read.
 */
export function fsDeno(opts: FsDenoOptions): RepositoryDriver {
  const root = absolutePath(opts.root);
  const sep = separator();
  let realRoot: string | undefined;
  const getRealRoot = async () => (realRoot ??= await Deno.realPath(root));
  const inside = (real: string, base: string) => real === base || real.startsWith(base.endsWith(sep) ? base : base + sep);
  const full = (p: string) => {
    const rel = joinPath(p);
    return rel === '' ? root : `${root}${root.endsWith(sep) ? '' : sep}${rel.split('/').join(sep)}`;
  };
  const checked = async (p: string): Promise<string> => {
    const f = full(p);
    let real: string;
    try {
      real = await Deno.realPath(f);
    } catch (e) {
      if (isMissing(e)) throw notFound(`file '${p}' not found in repository '${root}'`);
      throw serverError('INTERNAL', `cannot access '${p}' in repository '${root}': ${message(e)}`);
    }
    if (!inside(real, await getRealRoot())) throw notFound(`file '${p}' not found in repository '${root}' (it leads outside the repository)`);
    return f;
  };
  const symlinkEntry = async (dir: string, name: string): Promise<DirEntry | undefined> => {
    try {
      const s = await Deno.stat(`${dir}${sep}${name}`);
      const real = await Deno.realPath(`${dir}${sep}${name}`);
      return inside(real, await getRealRoot()) ? { name, kind: s.isDirectory ? 'dir' : 'file' } : undefined;
    } catch {
      return undefined; // a dangling link
    }
  };
  return {
    name: `fs:${root}`,
    async list(dir: string): Promise<DirEntry[]> {
      const f = await checked(dir);
      const out: DirEntry[] = [];
      try {
        for await (const e of Deno.readDir(f)) {
          if (e.isDirectory) out.push({ name: e.name, kind: 'dir' });
          else if (e.isFile) out.push({ name: e.name, kind: 'file' });
          else if (e.isSymlink) {
            const entry = await symlinkEntry(f, e.name);
            if (entry) out.push(entry);
          }
        }
      } catch (e) {
        if (isMissing(e)) throw notFound(`directory '${dir}' not found in repository '${root}'`);
        throw serverError('INTERNAL', `cannot list '${dir}' in repository '${root}': ${message(e)}`);
      }
      return out;
    },
    async stat(p: string): Promise<FileStat | null> {
      try {
        const s = await Deno.stat(await checked(p));
        return { kind: s.isDirectory ? 'dir' : 'file', size: s.size, ...(s.mtime ? { mtimeMs: s.mtime.getTime() } : {}) };
      } catch (e) {
        if ((e as { code?: string }).code === 'NOT_FOUND' || isMissing(e)) return null;
        throw e;
      }
    },
    async read(p: string): Promise<Uint8Array> {
      const f = await checked(p);
      try {
        return await Deno.readFile(f);
      } catch (e) {
        if (isMissing(e) || errorName(e) === 'IsADirectory' || (e as { code?: string }).code === 'EISDIR') throw notFound(`file '${p}' not found in repository '${root}'`);
        throw serverError('INTERNAL', `cannot read '${p}' in repository '${root}': ${message(e)}`);
      }
    },
    localPath(p: string): string | undefined {
      try {
        const f = full(p);
        return inside(Deno.realPathSync(f), Deno.realPathSync(root)) ? f : undefined;
      } catch {
        return undefined;
      }
    },
    async write(p: string, data: Uint8Array): Promise<void> {
      const f = full(p);
      await Deno.mkdir(f.slice(0, f.lastIndexOf(sep)) || sep, { recursive: true });
      await Deno.writeFile(f, data);
    },
    async remove(p: string): Promise<void> {
      try {
        await Deno.remove(full(p), { recursive: true });
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    },
  };
}
