import { joinPath, type RepositoryDriver } from './driver.ts';

/** Files no model reads: editor and tool droppings must not look like repository changes. */
export function isIgnoredName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name.endsWith('~') ||
    name.endsWith('.swp') ||
    name.endsWith('.swx') ||
    name.endsWith('.tmp') ||
    name === '__pycache__' ||
    name === 'node_modules' ||
    name === 'Thumbs.db'
  );
}

interface Cached {
  size: number;
  mtimeMs?: number;
  etag?: string;
  digest: string;
}

const caches = new WeakMap<RepositoryDriver, Map<string, Cached>>();
const MAX_FILES = 10_000;

/**
 * A content fingerprint of a model directory: every file's path, size and content hash (or the
 * storage's ETag). Hashes are cached per (size, mtime), so unchanged files are not re-read and
 * a touched-but-identical file does not count as a change.
 */
export async function fingerprintModel(driver: RepositoryDriver, model: string): Promise<string> {
  let cache = caches.get(driver);
  if (!cache) caches.set(driver, (cache = new Map()));
  const parts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await driver.list(dir);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (isIgnoredName(e.name)) continue;
      const path = joinPath(dir, e.name);
      if (e.kind === 'dir') {
        parts.push(`${path}/`);
        await walk(path);
        continue;
      }
      if (parts.length > MAX_FILES) throw new Error(`model directory '${model}' has more than ${MAX_FILES} files`);
      const st = await driver.stat(path);
      if (!st) continue;
      const hit = cache!.get(path);
      let digest: string;
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.etag === st.etag) digest = hit.digest;
      else {
        digest = st.etag ?? (await sha256(await driver.read(path)));
        cache!.set(path, { size: st.size, mtimeMs: st.mtimeMs, etag: st.etag, digest });
      }
      parts.push(`${path}:${st.size}:${digest}`);
    }
  };
  await walk(joinPath(model));
  return sha256Text(parts.join('\n'));
}

async function sha256(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function sha256Text(s: string): Promise<string> {
  return sha256(new TextEncoder().encode(s));
}
