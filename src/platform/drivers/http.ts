import { type DirEntry, type FileStat, invalidArg, joinPath, notFound, type RepositoryDriver, serverError, unavailable } from '../../core/index.ts';
import type { DownloadProgress } from '../../transports/worker/protocol.ts';

/** `repository.json`, written by `npx nereid repo index DIR`: every directory and file of the repository. */
export interface RepositoryListing {
  nereid_repository: 1;
  dirs: string[];
  files: { path: string; size: number; sha256?: string }[];
}

export const LISTING_FILE = 'repository.json';

export interface HttpDriverOptions {
  /** URL of the repository directory (absolute, or relative to `location`). */
  base: string | URL;
  /** Extra request headers (authorization, …). */
  headers?: Record<string, string>;
  /** The fetch to use. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Download progress of `read`s, throttled to one event per `progressIntervalMs` per file (plus the final one). */
  onProgress?: (progress: DownloadProgress) => void;
  /** @defaultValue 100 */
  progressIntervalMs?: number;
  /** How long a fetched listing is trusted before the next call revalidates it; a root `list('')` (a scan) always revalidates. @defaultValue 2000 */
  listingTtlMs?: number;
}

interface Index {
  files: Map<string, { size: number; sha256?: string }>;
  children: Map<string, Map<string, DirEntry['kind']>>;
  etag?: string;
}

/**
 * A read-only repository served by any static web server. Directory structure, sizes and
 * SHA-256s come from `repository.json`; `stat().etag` is the file's SHA-256 (or the server's ETag
 * where the listing has none), so POLL sees changes; downloaded bytes are checked against the
 * listing. Without a listing, `stat` and `read` still work (HEAD/GET) but `list` cannot.
 */
export function http(opts: HttpDriverOptions): RepositoryDriver & { readonly base: string } {
  const base = withSlash(new URL(String(opts.base), globalThis.location?.href));
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const ttl = opts.listingTtlMs ?? 2000;
  const urlOf = (path: string) => new URL(path.split('/').map(encodeURIComponent).join('/'), base).href;
  let index: Index | null | undefined;
  let fetchedAt = 0;
  let pending: Promise<Index | null> | undefined;
  const downloads = new Map<string, Promise<Uint8Array>>();

  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await doFetch(url, { ...init, headers: { ...opts.headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (e) {
      throw unavailable(`http repository: cannot fetch '${url}': ${(e as Error).message}`, e);
    }
  };

  const revalidate = async (): Promise<Index | null> => {
    const url = new URL(LISTING_FILE, base).href;
    let res: Response;
    try {
      res = await request(url, { cache: 'no-store', headers: index?.etag ? { 'if-none-match': index.etag } : {} });
    } catch (e) {
      if (index !== undefined) return index; // offline: keep what we have
      throw e;
    }
    if (res.status === 304 && index) return index;
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw unavailable(`http repository: GET ${url} answered ${res.status} ${res.statusText}`);
    return buildIndex(await res.json().catch(() => undefined), url, res.headers.get('etag') ?? undefined);
  };
  const getIndex = (force = false): Promise<Index | null> => {
    if (!force && index !== undefined && Date.now() - fetchedAt < ttl) return Promise.resolve(index);
    pending ??= revalidate()
      .then((i) => {
        fetchedAt = Date.now();
        return (index = i);
      })
      .finally(() => (pending = undefined));
    return pending;
  };

  const head = async (path: string): Promise<FileStat | null> => {
    const res = await request(urlOf(path), { method: 'HEAD', cache: 'no-store' });
    if (res.status === 404) return null;
    if (!res.ok) throw unavailable(`http repository: HEAD ${urlOf(path)} answered ${res.status}`);
    const modified = res.headers.get('last-modified');
    return {
      kind: 'file',
      size: Number(res.headers.get('content-length') ?? 0),
      etag: res.headers.get('etag') ?? undefined,
      mtimeMs: modified ? Date.parse(modified) : undefined,
    };
  };

  const download = async (path: string, size: number | undefined, cache: RequestCache): Promise<Uint8Array> => {
    const url = urlOf(path);
    const res = await request(url, { cache });
    if (res.status === 404) throw notFound(`file '${path}' not found in repository '${base}'`);
    if (!res.ok) throw unavailable(`http repository: GET ${url} answered ${res.status} ${res.statusText}`);
    const length = res.headers.get('content-encoding') ? undefined : Number(res.headers.get('content-length') ?? Number.NaN);
    return readBody(res, path, size ?? (Number.isFinite(length) ? length : undefined), opts.onProgress, opts.progressIntervalMs ?? 100);
  };

  const read = async (path: string): Promise<Uint8Array> => {
    const idx = await getIndex();
    const entry = idx?.files.get(path);
    if (idx && !entry) throw notFound(`file '${path}' not found in repository '${base}'${idx.children.has(path) ? ' (it is a directory)' : ''}`);
    let data = await download(path, entry?.size, 'default');
    if (entry?.sha256 && (await sha256Hex(data)) !== entry.sha256) {
      data = await download(path, entry.size, 'reload'); // a stale HTTP cache entry: fetch again
      if ((await sha256Hex(data)) !== entry.sha256) {
        throw serverError('UNAVAILABLE', `http repository: '${urlOf(path)}' does not match the sha256 in ${LISTING_FILE}; run \`npx nereid repo index\` again`);
      }
    }
    return data;
  };

  return {
    name: `http:${base}`,
    base,
    async list(dir) {
      const path = joinPath(dir);
      const idx = await getIndex(path === '');
      if (!idx) throw unavailable(`http repository: ${new URL(LISTING_FILE, base).href} not found; create it with \`npx nereid repo index DIR\``);
      const children = idx.children.get(path);
      if (!children) throw notFound(`directory '${dir}' not found in repository '${base}'`);
      return [...children].map(([name, kind]) => ({ name, kind }));
    },
    async stat(p) {
      const path = joinPath(p);
      const idx = await getIndex();
      if (!idx) return head(path);
      const f = idx.files.get(path);
      if (f) return { kind: 'file', size: f.size, etag: f.sha256 ?? (await head(path))?.etag };
      return idx.children.has(path) ? { kind: 'dir', size: 0 } : null;
    },
    async read(p) {
      const path = joinPath(p);
      let d = downloads.get(path);
      if (!d) {
        d = read(path).finally(() => downloads.delete(path));
        downloads.set(path, d);
      }
      return d;
    },
  };
}

function withSlash(u: URL): string {
  u.search = '';
  u.hash = '';
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

function buildIndex(listing: unknown, url: string, etag: string | undefined): Index {
  const l = listing as Partial<RepositoryListing> | undefined;
  if (l?.nereid_repository !== 1 || !Array.isArray(l.files) || !Array.isArray(l.dirs)) {
    throw invalidArg(`http repository: ${url} is not a Nereid repository listing (expected {"nereid_repository": 1, "dirs": [...], "files": [...]})`);
  }
  const children = new Map<string, Map<string, DirEntry['kind']>>([['', new Map()]]);
  const add = (path: string, kind: DirEntry['kind']) => {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    if (!children.has(parent)) add(parent, 'dir');
    children.get(parent)!.set(path.slice(slash + 1), kind);
    if (kind === 'dir' && !children.has(path)) children.set(path, new Map());
  };
  for (const d of l.dirs) add(joinPath(d), 'dir');
  const files = new Map<string, { size: number; sha256?: string }>();
  for (const f of l.files) {
    const path = joinPath(f.path);
    files.set(path, { size: f.size, sha256: f.sha256 });
    add(path, 'file');
  }
  return { files, children, etag };
}

async function readBody(
  res: Response,
  path: string,
  total: number | undefined,
  onProgress: HttpDriverOptions['onProgress'],
  everyMs: number,
): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let last = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const now = Date.now();
    if (onProgress && now - last >= everyMs) {
      last = now;
      onProgress({ path, loaded, total, source: 'network', done: false });
    }
  }
  onProgress?.({ path, loaded, total: total ?? loaded, source: 'network', done: true });
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}
