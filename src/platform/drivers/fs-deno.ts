import { type DirEntry, type FileStat, internal, isServerError, joinPath, notFound, type RepositoryDriver, type ServerError } from '../../core/index.ts';
import type { DenoApi } from '../../types/deno.d.ts';
import { danglingLink, type LinkProbe, osReason, refusedLink } from './fs-links.ts';

declare const Deno: DenoApi;

export interface FsDenoOptions {
  /** Repository root directory (relative paths are resolved against the working directory; it may be a symbolic link). */
  root: string;
  /**
   * Follow symbolic links wherever they lead (see `FsNodeOptions.followLinks`); false refuses
   * every link below the root and never writes through one.
   * @defaultValue true
   */
  followLinks?: boolean;
}

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';
const isMissing = (e: unknown) => ['NotFound', 'NotADirectory'].includes(errorName(e)) || ['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '');

const probe: LinkProbe = {
  isLink: (p) =>
    Deno.lstat(p).then(
      (s) => s.isSymlink,
      () => null,
    ),
  reaches: (p) =>
    Deno.stat(p).then(
      () => true,
      () => false,
    ),
  readLink: (p) => Deno.readLink(p),
};

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
 * ...): the same semantics as `fsNode`. Paths come through `joinPath`, so a request can never name
 * anything outside the root; symbolic links placed in the repository are followed (unless
 * `followLinks` is false), and one whose target is missing is reported with that target.
 */
export function fsDeno(opts: FsDenoOptions): RepositoryDriver {
  const root = absolutePath(opts.root);
  const follow = opts.followLinks ?? true;
  const sep = separator();
  const under = (base: string, segs: string[]) => (segs.length === 0 ? base : `${base}${base.endsWith(sep) ? '' : sep}${segs.join(sep)}`);
  const segments = (p: string) => {
    const rel = joinPath(p);
    return rel === '' ? [] : rel.split('/');
  };
  const full = (p: string) => under(root, segments(p));
  let realRoot: Promise<string> | undefined;
  /** With followLinks false: refuses `p` when a link lies on its way (the last segment too unless `last` is false). */
  const refuseLinks = async (verb: string, p: string, last = true): Promise<void> => {
    if (follow) return;
    const segs = segments(p);
    const upTo = last ? segs : segs.slice(0, -1);
    const real = await Deno.realPath(under(root, upTo)).catch(() => undefined);
    if (real === undefined) return; // missing: the operation reports it
    if (real !== under(await (realRoot ??= Deno.realPath(root)), upTo))
      throw internal(`cannot ${verb} '${full(p)}': it leads through a symbolic link, and links are not followed in '${root}'`);
  };
  /** The error for a failed operation on `p`: NOT_FOUND when it is absent, the dangling link or the OS reason otherwise. */
  const failure = async (verb: string, p: string, e: unknown, missing: string): Promise<ServerError> => {
    if (isServerError(e)) return e;
    if (isMissing(e)) {
      const why = await danglingLink(probe, root, segments(p), sep);
      return why ? internal(`cannot ${verb} '${full(p)}': ${why}`, e) : notFound(missing, e);
    }
    return internal(`cannot ${verb} '${full(p)}': ${osReason(e)}`, e);
  };
  const linkEntry = async (dir: string, name: string): Promise<DirEntry> => {
    const p = under(dir, [name]);
    if (!follow) return { name, kind: 'file', broken: `cannot read '${p}': ${refusedLink(root)}` };
    try {
      return { name, kind: (await Deno.stat(p)).isDirectory ? 'dir' : 'file' };
    } catch (e) {
      const why = isMissing(e) ? `it is a symbolic link to '${await Deno.readLink(p).catch(() => '?')}', which does not exist` : osReason(e);
      return { name, kind: 'file', broken: `cannot read '${p}': ${why}` };
    }
  };
  const lstatOrNull = (p: string) => Deno.lstat(p).catch((e) => (isMissing(e) ? null : Promise.reject(e)));
  const writeNoFollow = async (p: string, data: Uint8Array): Promise<void> => {
    const segs = segments(p);
    const f = full(p);
    let dir = root;
    for (const s of segs.slice(0, -1)) {
      dir = under(dir, [s]);
      const st = await lstatOrNull(dir);
      if (st === null)
        await Deno.mkdir(dir); // never follows a link: an existing one makes it fail
      else if (st.isSymlink) throw internal(`cannot write '${f}': '${dir}' is a symbolic link, and links are not followed in '${root}'`);
    }
    const st = await lstatOrNull(f);
    if (st?.isSymlink) throw internal(`cannot write '${f}': ${refusedLink(root)}`);
    if (st && !st.isDirectory) await Deno.remove(f);
    await Deno.writeFile(f, data, { createNew: true }); // O_EXCL: a link planted meanwhile is not followed
  };
  return {
    name: `fs:${root}`,
    async list(dir: string): Promise<DirEntry[]> {
      const out: DirEntry[] = [];
      try {
        await refuseLinks('list', dir);
        const f = full(dir);
        for await (const e of Deno.readDir(f)) {
          if (e.isDirectory) out.push({ name: e.name, kind: 'dir' });
          else if (e.isFile) out.push({ name: e.name, kind: 'file' });
          else if (e.isSymlink) out.push(await linkEntry(f, e.name));
        }
      } catch (e) {
        throw await failure('list', dir, e, `directory '${dir}' not found in repository '${root}'`);
      }
      return out;
    },
    async stat(p: string): Promise<FileStat | null> {
      try {
        await refuseLinks('access', p);
        const s = await Deno.stat(full(p));
        return { kind: s.isDirectory ? 'dir' : 'file', size: s.size, ...(s.mtime ? { mtimeMs: s.mtime.getTime() } : {}) };
      } catch (e) {
        if (isMissing(e)) return null;
        throw await failure('access', p, e, '');
      }
    },
    async read(p: string): Promise<Uint8Array> {
      const missing = `file '${p}' not found in repository '${root}'`;
      try {
        await refuseLinks('read', p);
        return await Deno.readFile(full(p));
      } catch (e) {
        if (errorName(e) === 'IsADirectory' || (e as { code?: string }).code === 'EISDIR') throw notFound(missing, e);
        throw await failure('read', p, e, missing);
      }
    },
    localPath(p: string): string | undefined {
      try {
        const f = full(p);
        const real = Deno.realPathSync(f);
        return follow || real === under(Deno.realPathSync(root), segments(p)) ? f : undefined;
      } catch {
        return undefined;
      }
    },
    async write(p: string, data: Uint8Array): Promise<void> {
      try {
        if (!follow) return await writeNoFollow(p, data);
        const f = full(p);
        await Deno.mkdir(f.slice(0, f.lastIndexOf(sep)) || sep, { recursive: true });
        await Deno.writeFile(f, data);
      } catch (e) {
        throw await failure('write', p, e, `cannot write '${full(p)}': ${osReason(e)}`);
      }
    },
    async remove(p: string): Promise<void> {
      await refuseLinks('remove', p, false);
      try {
        await Deno.remove(full(p), { recursive: true }); // removes a link itself, never what it leads to
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    },
  };
}
