import type { RepositoryMount } from '../../core/index.ts';
import type { DownloadProgress } from '../../transports/worker/protocol.ts';
import { http } from '../drivers/http.ts';
import { indexedDb } from '../drivers/indexeddb.ts';
import { memory } from '../drivers/memory.ts';
import type { RepositorySpec } from './options.ts';

/** Turns repository specs into mounted drivers (http, optionally behind an IndexedDB cache, or memory); a string is an http base URL. */
export function mountRepositories(
  specs: (string | RepositorySpec | RepositoryMount)[],
  hasIndexedDb: boolean,
  onProgress?: (p: DownloadProgress) => void,
): RepositoryMount[] {
  return specs.map((given, i): RepositoryMount => {
    const spec = typeof given === 'string' ? { http: given } : given;
    if ('driver' in spec) return spec;
    if ('files' in spec) return { driver: memory({ files: spec.files }), namespace: spec.namespace ?? `memory${i}`, label: 'memory' };
    const driver = http({ base: spec.http, headers: spec.headers, onProgress });
    const label = driver.base;
    const namespace = spec.namespace ?? (label.split('/').filter(Boolean).pop() || `repository${i}`);
    const cache = spec.cache ?? true;
    if (!cache || !hasIndexedDb) return { driver, namespace, label };
    return { driver: indexedDb({ source: driver, dbName: typeof cache === 'object' ? cache.dbName : undefined, onProgress }), namespace, label };
  });
}
