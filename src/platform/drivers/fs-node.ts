import { type Dirent, realpathSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type DirEntry, type FileStat, internal, isServerError, joinPath, notFound, type RepositoryDriver, type ServerError } from '../../core/index.ts';
import { danglingLink, type LinkProbe, osReason, refusedLink } from './fs-links.ts';

export interface FsNodeOptions {
  /** Repository root directory (it may itself be a symbolic link). */
  root: string;
  /**
   * Follow symbolic links wherever they lead: links the operator placed (ConfigMap/Secret mounts,
   * KServe modelcar, model caches linking to blobs) are part of the repository. False refuses every
   * link below the root and never writes through one: for the private directory of `file:` overrides.
   * @defaultValue true
   */
  followLinks?: boolean;
}

const errCode = (e: unknown) => (e as { code?: string }).code ?? '';
const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes(errCode(e));

const probe: LinkProbe = {
  isLink: (p) =>
    lstat(p).then(
      (s) => s.isSymbolicLink(),
      () => null,
    ),
  reaches: (p) =>
    stat(p).then(
      () => true,
      () => false,
    ),
  readLink: (p) => readlink(p),
};

/**
 * A repository on the local file system (Node, Electron main, Deno through node:fs). Paths come
 * through `joinPath`, so a request can never name anything outside the root; symbolic links placed
 * in the repository are followed (unless `followLinks` is false), and one whose target is missing
 * is reported with that target.
 */
export function fsNode(opts: FsNodeOptions): RepositoryDriver {
  const root = resolve(opts.root);
  const follow = opts.followLinks ?? true;
  const segments = (p: string) => {
    const rel = joinPath(p);
    return rel === '' ? [] : rel.split('/');
  };
  const full = (p: string) => join(root, ...segments(p));
  let realRoot: Promise<string> | undefined;
  /** With followLinks false: refuses `p` when a link lies on its way (the last segment too unless `last` is false). */
  const refuseLinks = async (verb: string, p: string, last = true): Promise<void> => {
    if (follow) return;
    const segs = segments(p);
    const upTo = last ? segs : segs.slice(0, -1);
    const real = await realpath(join(root, ...upTo)).catch(() => undefined);
    if (real === undefined) return; // missing: the operation reports it
    if (real !== join(await (realRoot ??= realpath(root)), ...upTo))
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
    const p = join(dir, name);
    if (!follow) return { name, kind: 'file', broken: `cannot read '${p}': ${refusedLink(root)}` };
    try {
      return { name, kind: (await stat(p)).isDirectory() ? 'dir' : 'file' };
    } catch (e) {
      const why = isMissing(e) ? `it is a symbolic link to '${await readlink(p).catch(() => '?')}', which does not exist` : osReason(e);
      return { name, kind: 'file', broken: `cannot read '${p}': ${why}` };
    }
  };
  const writeNoFollow = async (p: string, data: Uint8Array): Promise<void> => {
    const segs = segments(p);
    const f = full(p);
    let dir = root;
    for (const s of segs.slice(0, -1)) {
      dir = join(dir, s);
      const st = await lstat(dir).catch((e) => (isMissing(e) ? null : Promise.reject(e)));
      if (st === null)
        await mkdir(dir); // never follows a link: an existing one makes it fail
      else if (st.isSymbolicLink()) throw internal(`cannot write '${f}': '${dir}' is a symbolic link, and links are not followed in '${root}'`);
    }
    const st = await lstat(f).catch((e) => (isMissing(e) ? null : Promise.reject(e)));
    if (st?.isSymbolicLink()) throw internal(`cannot write '${f}': ${refusedLink(root)}`);
    if (st && !st.isDirectory()) await rm(f);
    await writeFile(f, data, { flag: 'wx' }); // O_EXCL: a link planted meanwhile is not followed
  };
  return {
    name: `fs:${root}`,
    async list(dir: string): Promise<DirEntry[]> {
      const missing = `directory '${dir}' not found in repository '${root}'`;
      let entries: Dirent[];
      try {
        await refuseLinks('list', dir);
        entries = await readdir(full(dir), { withFileTypes: true });
      } catch (e) {
        throw await failure('list', dir, e, missing);
      }
      const out: DirEntry[] = [];
      for (const e of entries) {
        if (e.isDirectory()) out.push({ name: e.name, kind: 'dir' });
        else if (e.isFile()) out.push({ name: e.name, kind: 'file' });
        else if (e.isSymbolicLink()) out.push(await linkEntry(full(dir), e.name));
      }
      return out;
    },
    async stat(p: string): Promise<FileStat | null> {
      try {
        await refuseLinks('access', p);
        const s = await stat(full(p));
        return { kind: s.isDirectory() ? 'dir' : 'file', size: s.size, mtimeMs: s.mtimeMs };
      } catch (e) {
        if (isMissing(e)) return null;
        throw await failure('access', p, e, '');
      }
    },
    async read(p: string): Promise<Uint8Array> {
      const missing = `file '${p}' not found in repository '${root}'`;
      try {
        await refuseLinks('read', p);
        return new Uint8Array(await readFile(full(p)));
      } catch (e) {
        if (errCode(e) === 'EISDIR') throw notFound(missing, e);
        throw await failure('read', p, e, missing);
      }
    },
    localPath(p: string): string | undefined {
      try {
        const f = full(p);
        const real = realpathSync(f);
        return follow || real === join(realpathSync(root), ...segments(p)) ? f : undefined;
      } catch {
        return undefined;
      }
    },
    async write(p: string, data: Uint8Array): Promise<void> {
      try {
        if (!follow) return await writeNoFollow(p, data);
        await mkdir(dirname(full(p)), { recursive: true });
        await writeFile(full(p), data);
      } catch (e) {
        throw await failure('write', p, e, `cannot write '${full(p)}': ${osReason(e)}`);
      }
    },
    async remove(p: string): Promise<void> {
      await refuseLinks('remove', p, false);
      await rm(full(p), { recursive: true, force: true }); // rm removes a link itself, never what it leads to
    },
  };
}
