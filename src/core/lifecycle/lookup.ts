import { invalidArg, notFound, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { ModelRecord } from './registry.ts';

export const QUALIFIER = '::';

/** Splits `NAMESPACE::MODEL`; a plain name has no namespace. */
export function splitQualified(name: string): { namespace?: string; name: string } {
  const i = name.indexOf(QUALIFIER);
  return i < 0 ? { name } : { namespace: name.slice(0, i), name: name.slice(i + QUALIFIER.length) };
}

/** Picks the serving version of a record, with Triton's lookup errors. */
export function servingVersion(rec: ModelRecord, display: string, version?: string): ModelVersion {
  if (version !== undefined && version !== '') {
    if (!/^\d+$/.test(version))
      throw invalidArg(`failed to get model version from specified version string '${version}' (value: '${version}'), model '${display}'`);
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
