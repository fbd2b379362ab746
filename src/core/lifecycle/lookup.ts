import { invalidArg, notFound, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { ModelRecord } from './records.ts';

export const QUALIFIER = '::';

/** Splits `NAMESPACE::MODEL`; a plain name has no namespace. */
export function splitQualified(name: string): { namespace?: string; name: string } {
  const i = name.indexOf(QUALIFIER);
  return i < 0 ? { name } : { namespace: name.slice(0, i), name: name.slice(i + QUALIFIER.length) };
}

/** Picks the serving version of a record, with Triton's lookup errors. */
export function servingVersion(rec: ModelRecord, display: string, version?: string): ModelVersion {
  if (version !== undefined && version !== '') {
    if (!/^\d+$/.test(version)) throw invalidArg(`failed to get model version from specified version string '${version}' (value: '${version}'), model '${display}'`);
    const vr = rec.versions.get(Number(version));
    if (!vr) throw notFound(`Request for unknown model: '${display}' version ${version} is not found`);
    if (vr.state !== 'READY' || !vr.serving) throw unavailable(`Request for unknown model: '${display}' version ${version} is not at ready state`);
    return vr.serving;
  }
  let best: ModelVersion | undefined;
  for (const [v, vr] of rec.versions) {
    if (vr.state === 'READY' && vr.serving && (!best || v > best.version)) best = vr.serving;
  }
  if (!best) throw notFound(`Request for unknown model: '${display}' has no available versions`);
  return best;
}

/** Resolves a (possibly qualified) name to a record, with Triton's namespacing errors. */
export function findRecord(
  all: Iterable<ModelRecord>,
  requested: string,
  opts: { namespacing: boolean; removed: ReadonlySet<string> },
): ModelRecord {
  const { namespace, name } = splitQualified(requested);
  const known = [...all].filter((r) => r.id.name === name && r.versions.size > 0 && (namespace === undefined || r.id.namespace === namespace));
  if (namespace !== undefined || !opts.namespacing) {
    const rec = known[0];
    if (!rec) {
      if (opts.namespacing && opts.removed.has(name)) throw notFound(`Identifier of model '${requested}' is not found in global map`);
      throw notFound(`Request for unknown model: '${requested}' is not found`);
    }
    return rec;
  }
  if (known.length === 1) return known[0]!;
  if (known.length > 1) {
    throw invalidArg(`There are ${known.length} identifiers of model '${name}' in global map, model namespace must be provided to resolve ambiguity.`);
  }
  if (opts.removed.has(name)) throw notFound(`Identifier of model '${name}' is not found in global map`);
  throw invalidArg(`Request for unknown model: '${name}' is not found`);
}
