import { invalidArg } from '../errors.ts';

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir';
  /**
   * Set when the entry is a symbolic link that cannot be followed (its target does not exist, a
   * loop, no permission): the error, naming the entry. Such an entry is listed as a 'file', and
   * reading it fails with this reason.
   */
  broken?: string;
}

export interface FileStat {
  kind: 'file' | 'dir';
  size: number;
  /** Modification time when the storage has one. */
  mtimeMs?: number;
  /** Opaque content version (HTTP ETag) when the storage has one. */
  etag?: string;
}

/**
 * The storage seam between the core and a model repository. Paths are relative to the
 * repository root, '/'-separated, never absolute and never containing '..' (`joinPath`), so
 * nothing a client sends can name a file outside the repository. Symbolic links placed in the
 * repository by its operator are followed wherever they lead. A missing path makes
 * `read`/`list` throw a NOT_FOUND ServerError and `stat` return null; a path behind a dangling
 * link is not missing: `read`/`list` throw an error that names the link and its target.
 */
export interface RepositoryDriver {
  readonly name: string;
  list(dir: string): Promise<DirEntry[]>;
  stat(path: string): Promise<FileStat | null>;
  read(path: string): Promise<Uint8Array>;
  /** A local file-system path, so a backend can map the file instead of copying it. */
  localPath?(path: string): string | undefined;
  write?(path: string, data: Uint8Array): Promise<void>;
  /** Removes a file or directory tree. */
  remove?(path: string): Promise<void>;
  dispose?(): Promise<void>;
}

/** Joins path segments, refusing anything that could leave the repository. */
export function joinPath(...parts: string[]): string {
  const segs: string[] = [];
  for (const part of parts) {
    if (part === '') continue;
    for (const s of part.split('/')) {
      if (s === '' || s === '.') continue;
      if (s === '..' || s.includes('\\') || s.includes('\0')) throw invalidArg(`invalid path '${parts.join('/')}'`);
      segs.push(s);
    }
  }
  if (parts[0]?.startsWith('/')) throw invalidArg(`invalid path '${parts.join('/')}': absolute paths are not allowed`);
  return segs.join('/');
}
