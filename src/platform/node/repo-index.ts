import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isIgnoredName } from '../../core/repository/fingerprint.ts';

/** The listing the HTTP repository driver reads: every file with its size and SHA-256. */
export interface RepositoryListing {
  nereid_repository: 1;
  /** Every directory (empty ones too: an ensemble's version directory holds no file). */
  dirs: string[];
  files: { path: string; size: number; sha256: string }[];
}

export const LISTING_FILE = 'repository.json';

/** Lists a repository directory (skipping files no model reads and the listing itself). */
export function indexRepository(dir: string): RepositoryListing {
  const root = resolve(dir);
  const files: RepositoryListing['files'] = [];
  const dirs: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (isIgnoredName(name)) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        dirs.push(relative(root, p).split(sep).join('/'));
        walk(p);
      }
      else if (st.isFile()) {
        const path = relative(root, p).split(sep).join('/');
        if (path === LISTING_FILE) continue;
        files.push({ path, size: st.size, sha256: createHash('sha256').update(readFileSync(p)).digest('hex') });
      }
    }
  };
  walk(root);
  return { nereid_repository: 1, dirs, files };
}

/** `nereid repo index DIR [--output FILE]`: writes DIR/repository.json. */
export function writeRepositoryIndex(dir: string, output = join(dir, LISTING_FILE)): RepositoryListing {
  const listing = indexRepository(dir);
  writeFileSync(output, `${JSON.stringify(listing, null, 1)}\n`);
  return listing;
}
