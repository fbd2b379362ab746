import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isIgnoredName } from '../core/index.ts';

import type { RepositoryListing } from '../platform/drivers/http.ts';

export type { RepositoryListing } from '../platform/drivers/http.ts';

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
      } else if (st.isFile()) {
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
