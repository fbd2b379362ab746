import { realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type DirEntry, type FileStat, joinPath, notFound, type RepositoryDriver, serverError } from '../../core/index.ts';

export interface FsNodeOptions {
  /** Repository root directory. */
  root: string;
}

const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '');

/**
 * A repository on the local file system (Node, Electron main, Deno through node:fs). Symlinks
 * that lead outside the root are treated as missing, so nothing outside it is ever read.
 */
export function fsNode(opts: FsNodeOptions): RepositoryDriver {
  const root = resolve(opts.root);
  let realRoot: string | undefined;
  const getRealRoot = async () => (realRoot ??= await realpath(root));
  const inside = (real: string, base: string) => real === base || real.startsWith(base + sep);
  const full = (p: string) => join(root, joinPath(p));
  const checked = async (p: string): Promise<string> => {
    const f = full(p);
    let real: string;
    try {
      real = await realpath(f);
    } catch (e) {
      if (isMissing(e)) throw notFound(`file '${p}' not found in repository '${root}'`);
      throw serverError('INTERNAL', `cannot access '${p}' in repository '${root}': ${(e as Error).message}`);
    }
    if (!inside(real, await getRealRoot())) throw notFound(`file '${p}' not found in repository '${root}' (it leads outside the repository)`);
    return f;
  };
  return {
    name: `fs:${root}`,
    async list(dir: string): Promise<DirEntry[]> {
      const f = await checked(dir);
      const entries = await readdir(f, { withFileTypes: true });
      const out: DirEntry[] = [];
      for (const e of entries) {
        if (e.isDirectory()) out.push({ name: e.name, kind: 'dir' });
        else if (e.isFile()) out.push({ name: e.name, kind: 'file' });
        else if (e.isSymbolicLink()) {
          const s = await stat(join(f, e.name)).catch(() => undefined);
          const real = s && (await realpath(join(f, e.name)).catch(() => undefined));
          if (s && real && inside(real, await getRealRoot())) out.push({ name: e.name, kind: s.isDirectory() ? 'dir' : 'file' });
        }
      }
      return out;
    },
    async stat(p: string): Promise<FileStat | null> {
      try {
        const s = await stat(await checked(p));
        return { kind: s.isDirectory() ? 'dir' : 'file', size: s.size, mtimeMs: s.mtimeMs };
      } catch (e) {
        if ((e as { code?: string }).code === 'NOT_FOUND' || isMissing(e)) return null;
        throw e;
      }
    },
    async read(p: string): Promise<Uint8Array> {
      const f = await checked(p);
      try {
        return new Uint8Array(await readFile(f));
      } catch (e) {
        if (isMissing(e) || (e as { code?: string }).code === 'EISDIR') throw notFound(`file '${p}' not found in repository '${root}'`);
        throw serverError('INTERNAL', `cannot read '${p}' in repository '${root}': ${(e as Error).message}`);
      }
    },
    localPath(p: string): string | undefined {
      try {
        const f = full(p);
        const real = realpathSync(f);
        return inside(real, realpathSync(root)) ? f : undefined;
      } catch {
        return undefined;
      }
    },
    async write(p: string, data: Uint8Array): Promise<void> {
      const f = full(p);
      await mkdir(dirname(f), { recursive: true });
      await writeFile(f, data);
    },
    async remove(p: string): Promise<void> {
      await rm(full(p), { recursive: true, force: true });
    },
  };
}
